import Foundation

/// Columns padded to their widest cell, two spaces apart, no trailing blanks: readable, and still easy to cut/awk.
struct Table {
    enum Alignment { case left, right }

    let headers: [String]
    let alignments: [Alignment]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    func render() -> [String] {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return all.map { row in
            var line = ""
            for (index, cell) in row.enumerated() where index < widths.count {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += alignments[index] == .right ? padding + cell : cell + padding
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}

/// `key: value` lines with the values lined up, for one object such as a device or the health report.
struct KeyValueList {
    private(set) var pairs: [(String, String)] = []

    mutating func append(_ key: String, _ value: String?) {
        if let value { pairs.append((key, value)) }
    }

    func render() -> [String] {
        let width = (pairs.map(\.0.count).max() ?? 0) + 1
        return pairs.map { key, value in
            (key + ":").padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value
        }
    }
}
