#ifndef LETHE_VIPS_H
#define LETHE_VIPS_H

// Fixed-argument shims over libvips' variadic API (which Swift cannot call) and over the
// VIPS_INIT macro. Policy (what to block, which loader to call, limits) lives in Swift
// (LetheImaging); these functions only pass options through.

#include <stdlib.h>
#include <vips/vips.h>
#include <gmodule.h>

/// VIPS_INIT as a function. Returns 0 on success, -1 on failure.
static inline int lethe_vips_init(const char *argv0) {
    return VIPS_INIT(argv0);
}

static inline void lethe_vips_drop_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain; (void)level; (void)message; (void)data;
}

/// Routes libvips' own warnings (codec complaints such as "IDAT: CRC error") to nowhere: they
/// would reach stderr as free text outside the structured logs. Errors still surface as return
/// codes, which the Swift side maps to stable error codes.
static inline void lethe_vips_silence_warnings(void) {
    g_log_set_handler("VIPS",
        (GLogLevelFlags)(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG),
        lethe_vips_drop_log, NULL);
}

/// Drops a reference to an image (NULL is ignored).
static inline void lethe_vips_unref(VipsImage *image) {
    if (image != NULL) {
        g_object_unref(image);
    }
}

/// Frees a g_malloc'd block (output of a *save_buffer call).
static inline void lethe_vips_g_free(void *pointer) {
    g_free(pointer);
}

// MARK: - Loaders (never spill decoded pixels to a temp file)

// sequential != 0: access=sequential, decoded strip by strip as the pixels are pulled, with no
// whole-image copy in libvips' memory and, as nothing is random access, no temp file either; the
// rows must then be asked for top to bottom (lethe_vips_prepare_rows_to on one thread).
// sequential == 0: memory=TRUE, random access, decoded whole into libvips' memory, never into a
// temp file (the decoder no longer uses it: orientations are applied by its strip pull; the
// tests' reference for them, libvips' own autorot, needs it).
#define LETHE_VIPS_LOAD_BUFFER(loader, data, length, out, fail_on, sequential) \
    ((sequential) \
        ? loader((void *)(data), (length), (out), "fail_on", (VipsFailOn)(fail_on), "access", VIPS_ACCESS_SEQUENTIAL, NULL) \
        : loader((void *)(data), (length), (out), "fail_on", (VipsFailOn)(fail_on), "memory", TRUE, NULL))

static inline int lethe_vips_jpegload_buffer(const void *data, size_t length, VipsImage **out, int fail_on, int sequential) {
    return LETHE_VIPS_LOAD_BUFFER(vips_jpegload_buffer, data, length, out, fail_on, sequential);
}

/// A JPEG scaled by 1/`shrink` (2, 4 or 8) in libjpeg's inverse DCT: the reduced image without
/// decoding the full resolution (each output pixel from one 8/shrink-pixel block's coefficients).
static inline int lethe_vips_jpegload_buffer_shrunk(const void *data, size_t length, VipsImage **out, int fail_on, int sequential, int shrink) {
    return (sequential)
        ? vips_jpegload_buffer((void *)(data), (length), (out), "fail_on", (VipsFailOn)(fail_on), "access", VIPS_ACCESS_SEQUENTIAL, "shrink", shrink, NULL)
        : vips_jpegload_buffer((void *)(data), (length), (out), "fail_on", (VipsFailOn)(fail_on), "memory", TRUE, "shrink", shrink, NULL);
}

static inline int lethe_vips_pngload_buffer(const void *data, size_t length, VipsImage **out, int fail_on, int sequential) {
    return LETHE_VIPS_LOAD_BUFFER(vips_pngload_buffer, data, length, out, fail_on, sequential);
}

static inline int lethe_vips_webpload_buffer(const void *data, size_t length, VipsImage **out, int fail_on, int sequential) {
    return LETHE_VIPS_LOAD_BUFFER(vips_webpload_buffer, data, length, out, fail_on, sequential);
}

static inline int lethe_vips_heifload_buffer(const void *data, size_t length, VipsImage **out, int fail_on, int sequential) {
    return LETHE_VIPS_LOAD_BUFFER(vips_heifload_buffer, data, length, out, fail_on, sequential);
}

/// The EXIF orientation libvips read from the header (1 = as stored).
static inline int lethe_vips_orientation(VipsImage *image) {
    return vips_image_get_orientation(image);
}

// MARK: - Strip pull on the calling thread

/// Drops a region (NULL is ignored). Regions belong to the thread that made them.
static inline void lethe_vips_region_unref(VipsRegion *region) {
    if (region != NULL) {
        g_object_unref(region);
    }
}

/// Attaches `region` to the whole of its image's own memory (an image made with
/// vips_image_new_from_memory), so that lethe_vips_prepare_rows_to computes into that memory.
static inline int lethe_vips_region_attach_memory(VipsRegion *region) {
    VipsRect whole = { 0, 0, vips_image_get_width(region->im), vips_image_get_height(region->im) };
    return vips_region_image(region, &whole);
}

/// Computes rows [top, top + height) of `source`'s image straight into the same rows of
/// `destination` (attached with lethe_vips_region_attach_memory), on the calling thread: no
/// libvips worker thread takes part, so a sequential loader sees its rows asked for in order and
/// none is asked for after the loader has passed it. Returns 0, or -1 on a decode error.
static inline int lethe_vips_prepare_rows_to(VipsRegion *source, VipsRegion *destination, int top, int height) {
    VipsRect rows = { 0, top, vips_image_get_width(source->im), height };
    return vips_region_prepare_to(source, destination, &rows, 0, top);
}

/// Computes rows [top, top + height) of `source`'s image into the first rows of `destination`
/// (a strip-high image attached with lethe_vips_region_attach_memory), on the calling thread, as
/// lethe_vips_prepare_rows_to does: for a strip the caller then places itself (an orientation).
static inline int lethe_vips_prepare_rows_into_strip(VipsRegion *source, VipsRegion *destination, int top, int height) {
    VipsRect rows = { 0, top, vips_image_get_width(source->im), height };
    return vips_region_prepare_to(source, destination, &rows, 0, 0);
}

/// The strip height libvips' own sinks would ask `image` for (its demand hint's line count).
static inline int lethe_vips_strip_height(VipsImage *image) {
    int tile_width = 0, tile_height = 0, lines = 0;
    vips_get_tile_size(image, &tile_width, &tile_height, &lines);
    return lines > 0 ? lines : 16;
}

// MARK: - Conversions

static inline int lethe_vips_autorot(VipsImage *in, VipsImage **out) {
    return vips_autorot(in, out, NULL);
}

static inline int lethe_vips_colourspace(VipsImage *in, VipsImage **out, VipsInterpretation space) {
    return vips_colourspace(in, out, space, NULL);
}

/// Flattens the last band (alpha, 0..max_alpha) over a white background of `white` per band.
static inline int lethe_vips_flatten_white(VipsImage *in, VipsImage **out, double white, double max_alpha) {
    double background[3] = { white, white, white };
    VipsArrayDouble *array = vips_array_double_new(background, 3);
    int result = vips_flatten(in, out, "background", array, "max_alpha", max_alpha, NULL);
    vips_area_unref(VIPS_AREA(array));
    return result;
}

static inline int lethe_vips_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
    return vips_extract_area(in, out, left, top, width, height, NULL);
}

static inline int lethe_vips_extract_bands(VipsImage *in, VipsImage **out, int first, int count) {
    return vips_extract_band(in, out, first, "n", count, NULL);
}

static inline int lethe_vips_shift_right(VipsImage *in, VipsImage **out, int bits) {
    return vips_rshift_const1(in, out, (double)bits, NULL);
}

static inline int lethe_vips_cast_uchar(VipsImage *in, VipsImage **out) {
    return vips_cast_uchar(in, out, NULL);
}

/// `in` rendered into memory: a writable image to draw on.
static inline int lethe_vips_copy_memory(VipsImage *in, VipsImage **out) {
    *out = vips_image_copy_memory(in);
    return *out != NULL ? 0 : -1;
}

/// Fills the `width × height` rectangle at (`left`, `top`) of a memory image with `ink` (one value
/// per band), in place.
static inline int lethe_vips_draw_rect(VipsImage *image, double *ink, int bands, int left, int top, int width, int height) {
    return vips_draw_rect(image, ink, bands, left, top, width, height, "fill", TRUE, NULL);
}

static inline int lethe_vips_set_srgb(VipsImage *in, VipsImage **out) {
    return vips_copy(in, out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
}

// MARK: - Re-capture (lethe bench --repeatability)

/// Per-band `out = in * a[i] + b[i]` (exposure and white balance in linear light).
static inline int lethe_vips_linear(VipsImage *in, VipsImage **out, const double *a, const double *b, int n) {
    return vips_linear(in, out, a, b, n, NULL);
}

/// Affine resampling into a `width × height` output: a point (x, y) of `in` lands at
/// (a·(x + idx) + b·(y + idy) + odx, c·(x + idx) + d·(y + idy) + ody). Bicubic. Outside the
/// input its edge pixels continue (as the scene would, roughly): vips_affine's own `extend`
/// covers only the interpolator's window and paints the rest black, so the input is first
/// embedded in a margin of `margin` copied-edge pixels on every side.
static inline int lethe_vips_affine_view(VipsImage *in, VipsImage **out, double a, double b, double c, double d,
    double idx, double idy, double odx, double ody, int width, int height, int margin) {
    VipsImage *extended = NULL;
    if (vips_embed(in, &extended, margin, margin, vips_image_get_width(in) + 2 * margin,
            vips_image_get_height(in) + 2 * margin, "extend", VIPS_EXTEND_COPY, NULL)) return -1;
    int area[4] = { 0, 0, width, height };
    VipsArrayInt *oarea = vips_array_int_new(area, 4);
    VipsInterpolate *bicubic = vips_interpolate_new("bicubic");
    int result = vips_affine(extended, out, a, b, c, d, "oarea", oarea, "idx", idx - margin, "idy", idy - margin,
        "odx", odx, "ody", ody, "interpolate", bicubic, "extend", VIPS_EXTEND_COPY, NULL);
    g_object_unref(bicubic);
    vips_area_unref(VIPS_AREA(oarea));
    g_object_unref(extended);
    return result;
}

// MARK: - Savers (output is g_malloc'd: the caller copies, wipes and g_frees it)

static inline int lethe_vips_pngsave_buffer(VipsImage *in, void **buffer, size_t *length, int compression) {
    return vips_pngsave_buffer(in, buffer, length, "compression", compression, "strip", TRUE, NULL);
}

static inline int lethe_vips_jpegsave_buffer(VipsImage *in, void **buffer, size_t *length, int quality) {
    return vips_jpegsave_buffer(in, buffer, length, "Q", quality, "strip", TRUE, NULL);
}

static inline int lethe_vips_webpsave_buffer(VipsImage *in, void **buffer, size_t *length, int quality, int lossless) {
    return vips_webpsave_buffer(in, buffer, length, "Q", quality, "lossless", lossless ? TRUE : FALSE,
        "strip", TRUE, NULL);
}

static inline int lethe_vips_heifsave_buffer(VipsImage *in, void **buffer, size_t *length, int quality) {
    return vips_heifsave_buffer(in, buffer, length, "Q", quality, "strip", TRUE, NULL);
}

/// Converts to 8-bit sRGB through the image's embedded ICC profile (Display P3, Adobe RGB,
/// CMYK...). Fails when there is no usable profile; the caller then falls back to colourspace.
static inline int lethe_vips_icc_to_srgb(VipsImage *in, VipsImage **out) {
    return vips_icc_transform(in, out, "srgb", "embedded", TRUE,
        "intent", VIPS_INTENT_RELATIVE, "depth", 8, NULL);
}

/// 1 when the image carries an ICC profile.
static inline int lethe_vips_has_icc_profile(VipsImage *image) {
    return vips_image_get_typeof(image, VIPS_META_ICC_NAME) != 0 ? 1 : 0;
}

/// Blocks or unblocks an operation and its subclasses. Accepts a nickname ("pngload_buffer") or a
/// class name ("VipsForeignLoad"): libvips 8.14's vips_operation_block_set matches class names
/// only, so the nickname is resolved to its GType name first. Returns 0, or -1 when unknown.
static inline int lethe_vips_operation_set_blocked(const char *name, int blocked) {
    GType type = g_type_from_name(name);  /* class names, including abstract ones */
    if (type == 0) {
        type = vips_type_find("VipsOperation", name);  /* nicknames of concrete operations */
    }
    if (type == 0) {
        return -1;
    }
    vips_operation_block_set(g_type_name(type), blocked ? TRUE : FALSE);
    return 0;
}

/// 1 when the operation (nickname or class name) is blocked, 0 when allowed, -1 when unknown.
static inline int lethe_vips_operation_is_blocked(const char *name) {
    GType type = g_type_from_name(name);
    if (type == 0) {
        type = vips_type_find("VipsOperation", name);
    }
    if (type == 0) {
        return -1;
    }
    gpointer klass = g_type_class_ref(type);
    int blocked = (VIPS_OPERATION_CLASS(klass)->flags & VIPS_OPERATION_BLOCKED) != 0 ? 1 : 0;
    g_type_class_unref(klass);
    return blocked;
}

/// 1 when an operation with this nickname (e.g. "heifload_buffer") exists in this build.
static inline int lethe_vips_operation_exists(const char *nickname) {
    return vips_type_find("VipsOperation", nickname) != 0 ? 1 : 0;
}

#endif
