import ArgumentParser
import CLetheLaunch
import Foundation
import LetheMemory

// The entry point is written out rather than `@main`, so that `lethe serve` can confine its
// filesystem writes (Landlock) synchronously, while the process still has a single thread,
// before any task starts the concurrency runtime's threads. Then the command runs as usual.
// CLetheLaunch has already re-executed this process with G_SLICE=always-malloc and TMPDIR
// pointing nowhere (see launch.c); the hardening status reports whether glib's slices reach the
// zeroing free as a result.
if lethe_launch_relaunch_failed() == 1 {
    FileHandle.standardError.write(Data("lethe: could not re-execute with G_SLICE=always-malloc; glib slices are not scrubbed\n".utf8))
}
// Process-wide, so done here by the program, never by the libraries (a test process that links
// them keeps its core dumps): no core dumps, not ptrace-able by same-uid processes, before any
// plaintext can exist.
_ = ProcessHardening.apply()
switch try? Lethe.parseAsRoot() {
case let serve as Serve:
    do {
        try serve.confine()
    } catch {
        Lethe.exit(withError: error)
    }
case let engine as EngineCommand:
    // An engine process of the gateway: synchronous, single-threaded until libvips starts its own.
    engine.runEngine()
default:
    break
}

/// In an `async` function the compiler picks ArgumentParser's asynchronous `main()`; at top
/// level it would pick the synchronous one, which cannot run async subcommands.
func runCommand() async {
    await Lethe.main()
}

await runCommand()
