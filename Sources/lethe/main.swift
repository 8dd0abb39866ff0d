import ArgumentParser
import CLetheLaunch
import Foundation

// The entry point is written out rather than `@main`, so that `lethe serve` can confine its
// filesystem writes (Landlock) synchronously, while the process still has a single thread,
// before any task starts the concurrency runtime's threads. Then the command runs as usual.
// CLetheLaunch has already re-executed this process with G_SLICE=always-malloc (see launch.c);
// the hardening status reports whether glib's slices reach the zeroing free as a result.
if lethe_launch_relaunch_failed() == 1 {
    FileHandle.standardError.write(Data("lethe: could not re-execute with G_SLICE=always-malloc; glib slices are not scrubbed\n".utf8))
}
if let serve = try? Lethe.parseAsRoot() as? Serve {
    do {
        try serve.confine()
    } catch {
        Lethe.exit(withError: error)
    }
}

/// In an `async` function the compiler picks ArgumentParser's asynchronous `main()`; at top
/// level it would pick the synchronous one, which cannot run async subcommands.
func runCommand() async {
    await Lethe.main()
}

await runCommand()
