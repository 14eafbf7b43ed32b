import Foundation

/// One HTTP/1.1 response as received: status, headers in arrival order, and the body with any chunked framing
/// already removed.
struct HTTPResponse: Sendable, Equatable {
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The first header of that name; names compare case-insensitively, as HTTP says.
    func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

enum HTTPParseError: Error, Equatable {
    case malformed(String)
    case truncated
}

/// Turns the bytes read so far into a response. Pure, so the framing rules (Content-Length, chunked, read-to-EOF,
/// interim 1xx) can be exercised without a socket.
enum HTTPResponseParser {
    /// nil while more bytes are needed; `atEOF` says none will come, so a short message is an error.
    static func parse(_ bytes: [UInt8], atEOF: Bool) throws(HTTPParseError) -> HTTPResponse? {
        var start = 0
        while true {
            guard let headEnd = find(crlfcrlf, in: bytes, from: start) else {
                guard atEOF else { return nil }
                if bytes.count == start { throw .truncated }
                // Something that is not HTTP at all (another service on the port) deserves a clearer word.
                guard bytes[start...].starts(with: "HTTP/1.".utf8) else { throw .malformed("not HTTP/1.x") }
                throw .truncated
            }
            var response = try head(bytes[start..<headEnd])
            let bodyStart = headEnd + crlfcrlf.count
            // Interim answers (100 Continue and friends) precede the real one on the same connection.
            if (100..<200).contains(response.status) && response.status != 101 {
                start = bodyStart
                continue
            }
            if response.status == 204 || response.status == 304 {
                return response
            }
            if let coding = response.header("Transfer-Encoding"),
               coding.lowercased().split(separator: ",").last?.trimmingCharacters(in: .whitespaces) == "chunked"
            {
                guard let body = try dechunk(bytes, from: bodyStart, atEOF: atEOF) else { return nil }
                response.body = body
                return response
            }
            if let lengthText = response.header("Content-Length") {
                guard let length = Int(lengthText.trimmingCharacters(in: .whitespaces)), length >= 0 else {
                    throw .malformed("bad Content-Length \"\(lengthText)\"")
                }
                guard bytes.count - bodyStart >= length else {
                    if atEOF { throw .truncated }
                    return nil
                }
                response.body = Array(bytes[bodyStart..<(bodyStart + length)])
                return response
            }
            // No framing at all: the body runs until the server closes.
            guard atEOF else { return nil }
            response.body = Array(bytes[bodyStart...])
            return response
        }
    }

    static let crlf: [UInt8] = Array("\r\n".utf8)
    static let crlfcrlf: [UInt8] = Array("\r\n\r\n".utf8)

    static func head(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPResponse {
        guard let text = String(bytes: bytes, encoding: .isoLatin1) else { throw .malformed("undecodable header") }
        let lines = text.components(separatedBy: "\r\n")
        let statusLine = lines[0]
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            throw .malformed("not an HTTP/1.x status line: \"\(statusLine.prefix(80))\"")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw .malformed("bad header line \"\(line.prefix(80))\"")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((String(line[..<colon]), value))
        }
        return HTTPResponse(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
    }

    /// Joins the chunks that start at `from`; nil if the terminating zero-size chunk has not arrived yet.
    static func dechunk(_ bytes: [UInt8], from: Int, atEOF: Bool) throws(HTTPParseError) -> [UInt8]? {
        var body: [UInt8] = []
        var position = from
        func needMore() throws(HTTPParseError) -> [UInt8]? {
            if atEOF { throw .truncated }
            return nil
        }
        while true {
            guard let lineEnd = find(crlf, in: bytes, from: position) else { return try needMore() }
            let sizeLine = String(decoding: bytes[position..<lineEnd], as: UTF8.self)
            // Chunk extensions (";name=value") carry nothing this client needs.
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw .malformed("bad chunk size \"\(sizeLine.prefix(40))\"")
            }
            position = lineEnd + crlf.count
            if size == 0 {
                // Trailers, if any, end with an empty line; they are not used.
                while true {
                    guard let end = find(crlf, in: bytes, from: position) else {
                        // A server that closes right after "0\r\n" has still sent the whole body.
                        return atEOF ? body : nil
                    }
                    if end == position { return body }
                    position = end + crlf.count
                }
            }
            guard bytes.count >= position + size + crlf.count else { return try needMore() }
            body.append(contentsOf: bytes[position..<(position + size)])
            position += size
            guard Array(bytes[position..<(position + crlf.count)]) == crlf else {
                throw .malformed("chunk not followed by CRLF")
            }
            position += crlf.count
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        for index in from...(haystack.count - needle.count)
        where haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
