import Foundation
import LetheImaging

/// What `lethe bench --repeatability` found: every reported measure's spread over re-captures
/// and its ICC(2,1) across subjects.
public struct RepeatabilityReport: Sendable, Codable, Equatable {
    public var kind: String
    /// The photos (subjects), by name.
    public var subjects: [String]
    public var seed: UInt64
    /// The re-captures, the same for every subject.
    public var recaptures: [Recapture]
    /// The profile's grey reference, drawn into every capture as the device's card (fixed in the
    /// frame, in the capture's light), or nil.
    public var greyCard: DeviceProfile.GreyReference?
    /// Per subject, the error codes of the captures the analysis refused, with counts.
    public var refusals: [String: [String: Int]]
    /// Whole-result measures first, then per-zone ones (`zones.NAME.…`), each in result order.
    public var measures: [MeasureRepeatability]

    /// The table for people: whole-result measures, then one line per zone with its worst score
    /// move and lowest ICC (every zone row is in the JSON).
    public var text: String {
        func number(_ value: Double) -> String {
            let magnitude = abs(value)
            return String(format: magnitude >= 100 ? "%.0f" : magnitude >= 1 ? "%.2f" : "%.4f", value)
        }
        var lines = [
            "Repeatability of kind=\(kind): \(subjects.count) subject(s) (\(subjects.joined(separator: ", "))) × \(recaptures.count) re-captures, seed \(seed)",
        ]
        if let card = greyCard {
            let r = card.region
            lines.append(String(
                format: "Every capture shows the profile's grey card (L* %.1f a* %.1f b* %.1f at x %.2f y %.2f, %.2f × %.2f of the frame), fixed in the frame and in the capture's light.",
                card.lStar, card.aStar, card.bStar, r.x, r.y, r.width, r.height))
        }
        lines.append(
            "Target (issue 16): ICC(2,1) ≥ \(MeasureRepeatability.iccTarget), and no 0–100 score moves more than \(Int(MeasureRepeatability.scoreMoveTarget)) points.")
        for (subject, codes) in refusals.sorted(by: { $0.key < $1.key }) where !codes.isEmpty {
            lines.append("Refused captures of \(subject): " + codes.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        let whole = measures.filter { !$0.measure.hasPrefix("zones.") }
        let header = ["measure", "mean", "within SD", "max−min", "between SD", "ICC(2,1)", "captured", "target"]
        let rows = whole.map { row in
            [row.measure, number(row.mean), number(row.withinSubjectSD), number(row.largestRange), number(row.betweenSubjectSD),
             row.icc21.map { String(format: "%.3f", $0) } ?? "n/a", "\(row.captured)/\(row.attempted)", row.meetsTarget ? "met" : "NOT met"]
        }
        lines += Self.table(header: header, rows: rows)
        let zones = Dictionary(grouping: measures.filter { $0.measure.hasPrefix("zones.") }) { $0.measure.split(separator: ".")[1] }
        if !zones.isEmpty {
            lines.append("")
            let zoneRows = zones.keys.sorted().map { zone -> [String] in
                let rows = zones[zone]!
                let scores = rows.filter(\.isScore)
                let worstScore = scores.max { $0.largestRange < $1.largestRange }
                let lowest = rows.compactMap { row in row.icc21.map { (row, $0) } }.min { $0.1 < $1.1 }
                return [String(zone), worstScore.map { "\(Int($0.largestRange)) (\($0.measure.split(separator: ".").last!))" } ?? "–",
                        lowest.map { String(format: "%.3f (%@)", $0.1, String($0.0.measure.split(separator: ".").dropFirst(2).joined(separator: "."))) } ?? "n/a",
                        "\(rows.filter(\.meetsTarget).count)/\(rows.count)"]
            }
            lines += Self.table(header: ["zone", "largest score move", "lowest ICC(2,1)", "measures meeting target"], rows: zoneRows)
        }
        return lines.joined(separator: "\n")
    }

    private static func table(header: [String], rows: [[String]]) -> [String] {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return [line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)
    }
}
