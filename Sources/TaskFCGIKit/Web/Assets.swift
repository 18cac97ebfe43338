/// The pages' style sheet and script, served by the worker itself (no external assets) under a
/// name carrying a hash of their content: a browser keeps them for a year and asks again only
/// when a new build changes them, because the pages then name a new file.
struct Asset: Sendable {
    /// `style.1a2b3c4d5e6f7a8b.css`: what the pages link to.
    let name: String
    let contentType: String
    let body: [UInt8]

    init(stem: String, ext: String, contentType: String, source: StaticString) {
        let bytes = Array(UnsafeBufferPointer(start: source.utf8Start, count: source.utf8CodeUnitCount))
        name = stem + "." + Asset.hash(bytes) + "." + ext
        (self.contentType, body) = (contentType, bytes)
    }

    /// The path the pages use.
    var path: String { "/assets/" + name }

    var response: Response {
        Response(status: 200, headers: [("Content-Type", contentType),
                                        ("Cache-Control", "public, max-age=31536000, immutable"),
                                        ("X-Content-Type-Options", "nosniff")], body: body)
    }

    /// FNV-1a, 64 bits, as 16 hex digits: not for security, only so a changed file gets a new name.
    static func hash(_ bytes: [UInt8]) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Every asset the worker serves.
enum Assets {
    static let style = Asset(stem: "style", ext: "css", contentType: "text/css; charset=utf-8", source: StyleSheet.source)
    static let live = Asset(stem: "live", ext: "js", contentType: "text/javascript; charset=utf-8", source: LiveScript.source)

    /// The asset with this exact name (hash included); nil for any other, which is a 404.
    static func named(_ name: String) -> Asset? {
        if name == style.name { return style }
        if name == live.name { return live }
        return nil
    }
}
