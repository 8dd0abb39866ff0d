import LetheImaging

/// Sharpness as the variance of the Laplacian of luma (Pech-Pacheco, Cristóbal, Chamorro-Martínez
/// & Fernández-Valdivia 2000, "Diatom autofocusing in brightfield microscopy: a comparative
/// study", ICPR 2000, vol. 3, pp. 314–317). A sharp image has strong second derivatives at edges
/// and texture, hence a large variance; defocus or motion blur removes them.
enum LaplacianVariance {
    /// Variance of the 4-neighbour Laplacian [0 1 0; 1 −4 1; 0 1 0] over interior cells of a
    /// `width × height` plane; 0 when the plane has no interior.
    static func measure(_ plane: UnsafeBufferPointer<Float>, width: Int, height: Int) -> Double {
        guard width >= 3, height >= 3 else { return 0 }
        var sum = 0.0
        var sumOfSquares = 0.0
        for y in 1..<height - 1 {
            // A request past its deadline stops here; the pipeline reports the deadline.
            if y & 63 == 0, ProcessingDeadline.currentThreadDeadlinePassed { break }
            let row = y * width
            var rowSum: Float = 0
            var rowSquares: Float = 0
            for x in 1..<width - 1 {
                let centre = row + x
                let laplacian = plane[centre - width] + plane[centre + width] + plane[centre - 1] + plane[centre + 1]
                    - 4 * plane[centre]
                rowSum += laplacian
                rowSquares += laplacian * laplacian
            }
            sum += Double(rowSum)
            sumOfSquares += Double(rowSquares)
        }
        let count = Double((width - 2) * (height - 2))
        let mean = sum / count
        return max(0, sumOfSquares / count - mean * mean)
    }
}
