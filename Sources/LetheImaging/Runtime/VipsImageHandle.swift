import CVips

/// Owns one reference to a `VipsImage` and drops it in `deinit`, so every path (success or
/// throw) unrefs. Not Sendable: a libvips image is confined to the job that made it.
final class VipsImageHandle {
    let pointer: UnsafeMutablePointer<VipsImage>

    init(_ pointer: UnsafeMutablePointer<VipsImage>) {
        self.pointer = pointer
    }

    deinit {
        lethe_vips_unref(pointer)
    }

    var width: Int { Int(vips_image_get_width(pointer)) }
    var height: Int { Int(vips_image_get_height(pointer)) }
    var bands: Int { Int(vips_image_get_bands(pointer)) }
    var bandFormat: VipsBandFormat { vips_image_get_format(pointer) }
    var interpretation: VipsInterpretation { vips_image_get_interpretation(pointer) }
    var hasAlpha: Bool { vips_image_hasalpha(pointer) != 0 }

    /// Runs one libvips operation that writes a new image to `out`; nil when it failed.
    static func make(_ operation: (UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32) -> VipsImageHandle? {
        var output: UnsafeMutablePointer<VipsImage>?
        let status = operation(&output)
        guard status == 0, let output else {
            if let output { lethe_vips_unref(output) }
            return nil
        }
        return VipsImageHandle(output)
    }

    /// Applies an operation to this image.
    func then(_ operation: (UnsafeMutablePointer<VipsImage>, UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32) -> VipsImageHandle? {
        VipsImageHandle.make { output in operation(pointer, output) }
    }
}
