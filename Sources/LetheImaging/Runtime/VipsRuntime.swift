import CLetheSystem
import CVips
import LetheMemory
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The process-wide libvips set-up: no temp files, no caches, only the four trusted buffer
/// loaders unblocked.
public enum VipsRuntime {
    private enum State {
        case notStarted
        case started(VipsConfiguration)
        case failed(LetheError)
    }

    private static let state = Mutex<State>(.notStarted)

    /// The loaders that stay unblocked; everything else derived from `VipsForeignLoad` is blocked.
    public static let allowedLoaders = ["jpegload_buffer", "pngload_buffer", "webpload_buffer", "heifload_buffer"]

    /// The `VIPSHOME` of every lethe process (`LETHE_VIPS_HOME_WITHOUT_MODULES` in `CLetheLaunch`,
    /// set from exec on): a prefix that does not exist, so that `VIPS_INIT` loads none of the modules
    /// installed beside libvips. A process started with it maps neither ImageMagick nor poppler,
    /// OpenSlide or JPEG XL (Debian's modules: 21 libraries, blocked but loaded and relocated in
    /// every process before), and `start` loads the HEIF module alone.
    public static let homeWithoutModules = "/nonexistent/lethe-no-vips-modules"

    /// Starts libvips once per process, before any decode. Later calls return at once (a later
    /// call's configuration is ignored; the first one wins). Thread-safe.
    ///
    /// Order matters: `VIPS_INIT`, then the operation cache is switched off and every loader except the allowed buffer loaders is
    /// blocked, so a crafted file can never reach e.g. the SVG, PDF or ImageMagick loaders.
    /// - Throws: `imaging_unavailable` when libvips fails to initialise (and on every later call).
    public static func start(_ configuration: VipsConfiguration = .init()) throws(LetheError) {
        try state.withLock { (state: inout State) throws(LetheError) -> Void in
            switch state {
            case .started:
                return
            case .failed(let error):
                throw error
            case .notStarted:
                do throws(LetheError) {
                    try initialise(configuration)
                    state = .started(configuration)
                } catch {
                    state = .failed(error)
                    throw error
                }
            }
        }
    }

    /// The configuration libvips was started with, or nil before `start`.
    public static var configuration: VipsConfiguration? {
        state.withLock { state in
            if case .started(let configuration) = state { return configuration }
            return nil
        }
    }

    /// Starts with defaults if nobody has started libvips yet (decode and encode call this).
    static func ensureStarted() throws(LetheError) {
        try start()
    }

    private static func initialise(_ configuration: VipsConfiguration) throws(LetheError) {
        guard lethe_vips_init("lethe") == 0 else {
            vips_error_clear()
            throw .imagingUnavailable("libvips failed to initialise")
        }
        if configuration.silenceWarnings { lethe_vips_silence_warnings() }
        // Under `homeWithoutModules` no module was loaded: HEIF's, the one allowed loader that
        // Debian's libvips builds as a module, is loaded by its path. A libvips with HEIF built in,
        // or started elsewhere with every module (a test process), already has the loader.
        if !heifAvailable { _ = loadModule("heif") }
        // No operation cache: it would keep decoded images (and their pixels) alive between requests.
        vips_cache_set_max(0)
        vips_cache_set_max_mem(0)
        vips_cache_set_max_files(0)
        // Defence in depth: the untrusted flag first, then block every loader and re-open only ours.
        vips_block_untrusted_set(1)
        guard lethe_vips_operation_set_blocked("VipsForeignLoad", 1) == 0 else {
            throw .imagingUnavailable("could not block libvips loaders")
        }
        for loader in allowedLoaders where lethe_vips_operation_exists(loader) == 1 {
            _ = lethe_vips_operation_set_blocked(loader, 0)
        }
        vips_concurrency_set(Int32(max(1, configuration.concurrency)))
    }

    /// Loads `vips-NAME.so` from the modules directory beside the libvips that is running
    /// (`…/vips-modules-MAJOR.MINOR`, where `VIPS_INIT` would have found it), and keeps it
    /// resident as `VIPS_INIT` does: its types are registered once loaded. False when absent.
    private static func loadModule(_ name: String) -> Bool {
        var library = [CChar](repeating: 0, count: 4096)
        guard lethe_library_path("vips_init", &library, library.count) == 0 else { return false }
        let path = String(decoding: library.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return false }
        let file = "\(path[..<slash])/vips-modules-\(vips_version(0)).\(vips_version(1))/vips-\(name).so"
        guard let module = g_module_open(file, G_MODULE_BIND_LAZY) else { return false }
        g_module_make_resident(module)
        return true
    }

    /// The libvips version string, e.g. "8.14.1".
    public static var version: String {
        String(cString: vips_version_string())
    }

    /// True when this libvips build has the HEIF buffer loader.
    public static var heifAvailable: Bool {
        lethe_vips_operation_exists("heifload_buffer") == 1
    }

    /// Whether an operation (nickname such as "svgload_buffer") is blocked; nil when this build
    /// does not have it. For health reporting and tests.
    public static func isBlocked(operation nickname: String) -> Bool? {
        switch lethe_vips_operation_is_blocked(nickname) {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }
}
