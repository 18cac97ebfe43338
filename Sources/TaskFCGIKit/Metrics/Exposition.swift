/// Writes metric families in the Prometheus text format (0.0.4) or OpenMetrics 1.0. The two differ
/// in how a counter's family is named (`x_total` vs `x`), in `info` (a gauge in Prometheus text),
/// in `# UNIT` lines and in the closing `# EOF`.
public struct Exposition {
    /// Which of the two text formats.
    public enum Format: Sendable {
        case prometheus, openMetrics

        /// The `Content-Type` of a scrape in this format.
        public var contentType: String {
            switch self {
            case .prometheus: return "text/plain; version=0.0.4; charset=utf-8"
            case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
        }

        /// OpenMetrics when the scraper lists it in `Accept` (Prometheus does, first, since 2.5).
        public static func negotiated(accept: String?) -> Format {
            guard let accept, accept.lowercased().contains("application/openmetrics-text") else { return .prometheus }
            return .openMetrics
        }
    }

    /// A label set; values are escaped on output.
    public typealias Labels = [(name: String, value: String)]

    public let format: Format
    /// What has been written so far (see `finished()`).
    public private(set) var text = ""

    /// An empty exposition in `format`.
    public init(format: Format) { self.format = format }

    /// A counter family `name` (without `_total`) with one sample per label set.
    public mutating func counter(_ name: String, _ help: String, _ samples: [(Labels, UInt64)]) {
        header(format == .openMetrics ? name : name + "_total", "counter", help)
        for (labels, value) in samples { sample(name + "_total", labels, String(value)) }
    }

    /// A gauge family.
    public mutating func gauge(_ name: String, _ help: String, _ samples: [(Labels, Double)]) {
        header(name, "gauge", help)
        for (labels, value) in samples { sample(name, labels, Self.number(value)) }
    }

    /// An info family `name` (without `_info`): one sample of value 1 carrying `labels`.
    public mutating func info(_ name: String, _ help: String, _ labels: Labels) {
        if format == .openMetrics { header(name, "info", help) } else { header(name + "_info", "gauge", help) }
        sample(name + "_info", labels, "1")
    }

    /// A histogram family (in seconds when `name` ends in `_seconds`) with one histogram per label set.
    public mutating func histogram(_ name: String, _ help: String, _ samples: [(Labels, HistogramCounts)]) {
        header(name, "histogram", help)
        for (labels, histogram) in samples {
            for (bound, count) in histogram.cumulative {
                sample(name + "_bucket", labels + [("le", bound.isInfinite ? "+Inf" : String(bound))], String(count))
            }
            sample(name + "_count", labels, String(histogram.count))
            sample(name + "_sum", labels, Self.number(histogram.sum))
        }
    }

    /// The finished text (OpenMetrics ends with `# EOF`).
    public func finished() -> String { format == .openMetrics ? text + "# EOF\n" : text }

    private mutating func header(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        if format == .openMetrics, name.hasSuffix("_seconds") { text += "# UNIT \(name) seconds\n" }
    }

    private mutating func sample(_ name: String, _ labels: Labels, _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.name)=\"\(Self.escaped($0.value))\"" }.joined(separator: ",") + "}"
        }
        text += " " + value + "\n"
    }

    /// A label value with `\`, `"` and line feeds escaped, as both formats require.
    static func escaped(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    /// Whole numbers without a fraction, others as Swift prints them (both parse as Go and Python floats).
    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
