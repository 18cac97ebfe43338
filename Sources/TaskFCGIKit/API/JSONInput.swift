import Foundation

/// A JSON request body as Foundation's `JSONDecoder` reads it, kept as a value so handlers can say
/// which field has the wrong type (a `Decodable` struct could only fail as a whole).
enum JSONInput: Decodable, Equatable {
    case object([String: JSONInput])
    case array([JSONInput])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// Whatever JSON value is there; only bodies that are not JSON at all fail.
    init(from decoder: Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .null } else if let flag = try? value.decode(Bool.self) { self = .bool(flag) }
        else if let text = try? value.decode(String.self) { self = .string(text) }
        else if let number = try? value.decode(Double.self) { self = .number(number) }
        else if let object = try? value.decode([String: JSONInput].self) { self = .object(object) }
        else { self = .array(try value.decode([JSONInput].self)) }
    }

    /// "a string", "a number", … for messages.
    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "true or false"
        case .null: return "null"
        }
    }

    /// The JSON object in the request's body. A body is JSON only with `Content-Type:
    /// application/json` (or one of `types`): a browser cannot send that cross-site without a
    /// preflight, which this API never approves. 415 for another type, 400 for malformed JSON.
    static func object(from request: Request, types: [String] = ["application/json"]) throws -> [String: JSONInput] {
        guard let type = mediaType(request.header("content-type")), types.contains(type) else {
            throw HTTPError(415, "Send the body as JSON with Content-Type: \(types.joined(separator: " or ")).")
        }
        let value: JSONInput
        do { value = try JSONDecoder().decode(JSONInput.self, from: Data(request.body)) } catch {
            throw HTTPError(400, request.body.isEmpty ? "The request has no body; send a JSON object."
                : "The body is not valid JSON (UTF-8 text in the JSON syntax, RFC 8259).")
        }
        guard case .object(let object) = value else {
            throw HTTPError(422, "The body must be a JSON object; this is \(value.kind).")
        }
        return object
    }

    /// `application/json` from `Application/JSON; charset=utf-8`; nil without a header.
    static func mediaType(_ header: String?) -> String? {
        guard let header else { return nil }
        let type = header.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: CharacterSet(charactersIn: " \t")).lowercased()
    }
}
