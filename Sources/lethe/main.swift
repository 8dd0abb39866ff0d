import ArgumentParser

// The entry point is written out rather than `@main`, so that `lethe serve` can confine its
// filesystem writes (Landlock) synchronously, while the process still has a single thread,
// before any task starts the concurrency runtime's threads. Then the command runs as usual.
if let serve = try? Lethe.parseAsRoot() as? Serve {
    do {
        try serve.confineWrites()
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
