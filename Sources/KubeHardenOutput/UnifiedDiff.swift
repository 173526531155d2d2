import KubeHarden
import YAMLSource

// Unified diff rendering for one file, from the edits `fix` applies.
//
// The pipeline knows every edit's byte range, so the diff is not re-discovered with a diff
// algorithm: each edit covers the original lines its range touches, edits whose lines touch
// form one change, and a change's new lines are those lines with its edits applied. Lines are
// raw bytes ending with "\n" (a "\r" before it is ordinary content, so CRLF files round-trip
// through `patch` and `git apply`; a last line without "\n" differs from the same text with
// one and is marked `\ No newline at end of file`). Lines a change leaves as they were at its
// start or end are shown as context, so a value replaced on one line shows that line alone.
// Changes whose context would overlap or touch (at most `2 * context` unchanged lines apart)
// share a hunk, and `@@` headers follow GNU diff's conventions.

/// Renders unified diffs.
public enum UnifiedDiff {
  /// Renders a unified diff of `original` -> `original` with `edits` applied, for one file;
  /// empty when the edits change nothing (or overlap, which no valid report holds).
  ///
  /// - Parameters:
  ///   - path: File path written into the `--- a/<path>` / `+++ b/<path>` headers
  ///     (leading `./` components are removed; a path containing a space is followed
  ///     by a tab so that GNU patch reads the whole name).
  ///   - original: Original file bytes.
  ///   - edits: Edits of `original` (any order).
  ///   - context: Number of unchanged context lines around each change (negative is treated as 0).
  ///   - color: Wrap lines in ANSI SGR escapes (bold headers, cyan hunk headers,
  ///     red removals, green additions); the reset precedes the line break.
  public static func render(
    path: String, original: [UInt8], edits: [Edit], context: Int = 3, color: Bool = false
  ) -> String {
    guard let ordered = try? EditSet(edits).sorted(), !ordered.isEmpty,
      ordered.allSatisfy({ $0.range.upperBound <= original.count })
    else { return "" }
    let ctx = max(0, context)
    let oldLines = splitLines(original)
    let changes = lineChanges(original, ordered, oldLines: oldLines)
    if changes.isEmpty { return "" }

    var writer = Writer(color: color)
    // GNU patch ends an unquoted file name at the first blank unless a tab follows
    // the name (as with GNU diff's timestamps); git apply accepts either form.
    let display = displayPath(path)
    let terminator = display.contains(" ") ? "\t" : ""
    writer.header("--- a/" + display + terminator)
    writer.header("+++ b/" + display + terminator)

    let n = oldLines.count
    var h = 0
    while h < changes.count {
      // Merge following changes whose context would overlap or touch.
      var last = h
      while last + 1 < changes.count, changes[last + 1].a0 - changes[last].a1 <= 2 * ctx { last += 1 }
      let first = changes[h]
      let final = changes[last]
      let lead = min(ctx, first.a0)
      let trail = min(ctx, n - final.a1)
      let aStart = first.a0 - lead
      let aEnd = final.a1 + trail
      let bStart = first.b0 - lead
      let bEnd = final.b1 + trail
      writer.hunk("@@ -" + range(aStart, aEnd) + " +" + range(bStart, bEnd) + " @@")
      var a = aStart
      for change in changes[h...last] {
        while a < change.a0 {
          writer.line(" ", original, oldLines[a], kind: .context)
          a += 1
        }
        for i in change.a0..<change.a1 { writer.line("-", original, oldLines[i], kind: .removed) }
        for line in change.newLines { writer.line("+", change.new, line, kind: .added) }
        a = change.a1
      }
      while a < aEnd {
        writer.line(" ", original, oldLines[a], kind: .context)
        a += 1
      }
      h = last + 1
    }
    return String(decoding: writer.out, as: UTF8.self)
  }

  // MARK: - Changes from edits

  /// Old lines `a0..<a1` (0-based) are replaced by `newLines` (ranges of `new`), which start at
  /// new line `b0`.
  struct Change {
    var a0: Int
    var a1: Int
    var b0: Int
    var new: [UInt8]
    var newLines: [Range<Int>]
    var b1: Int { b0 + newLines.count }
  }

  /// The changes `ordered` (sorted, inside `bytes`) make, by whole "\n"-terminated lines.
  static func lineChanges(_ bytes: [UInt8], _ ordered: [Edit], oldLines: [Range<Int>]) -> [Change] {
    let newline = UInt8(ascii: "\n")
    func lineStart(_ offset: Int) -> Int {
      var i = offset
      while i > 0 && bytes[i - 1] != newline { i -= 1 }
      return i
    }
    func nextLineStart(_ offset: Int) -> Int {
      var i = offset
      while i < bytes.count && bytes[i] != newline { i += 1 }
      return min(i + 1, bytes.count)
    }
    // The end of the whole lines an edit covers, from `start`, its first line's start: an
    // insertion of whole lines at a line start covers none.
    func coveredEnd(_ edit: Edit, start: Int) -> Int {
      let upper = edit.range.upperBound
      if edit.range.isEmpty && upper == start && (edit.replacement.isEmpty || edit.replacement.last == newline) {
        return start
      }
      if upper > start && bytes[upper - 1] == newline { return upper }
      return nextLineStart(upper)
    }
    var spans: [(span: Range<Int>, edits: ArraySlice<Edit>)] = []
    var index = 0
    while index < ordered.count {
      let start = lineStart(ordered[index].range.lowerBound)
      var end = coveredEnd(ordered[index], start: start)
      var next = index + 1
      // Later edits on the span's lines or the line after it join it; a span whose fixed text
      // no longer ends with a line break (an edit joined a line with the next) takes in the
      // next line.
      while true {
        while next < ordered.count {
          let followingStart = lineStart(ordered[next].range.lowerBound)
          guard followingStart <= end else { break }
          end = max(end, coveredEnd(ordered[next], start: followingStart))
          next += 1
        }
        let fixed = EditSet.applying(Array(ordered[index..<next]), to: bytes, in: start..<end)
        guard end < bytes.count, let lastByte = fixed.last, lastByte != newline else { break }
        end = nextLineStart(end)
      }
      spans.append((start..<end, ordered[index..<next]))
      index = next
    }
    // Line numbers, and the lines a change keeps at its ends shown as context.
    var changes: [Change] = []
    var lineIndex = 0  // the first old line not before the span
    var delta = 0  // new line numbers minus old ones
    for (span, edits) in spans {
      // The first line that ends after the span's start (binary search: one call per fix group
      // of a large file must not walk all its lines).
      var high = oldLines.count
      while lineIndex < high {
        let middle = (lineIndex + high) / 2
        if oldLines[middle].upperBound <= span.lowerBound { lineIndex = middle + 1 } else { high = middle }
      }
      var a0 = lineIndex
      var a1 = a0
      while a1 < oldLines.count && oldLines[a1].lowerBound < span.upperBound { a1 += 1 }
      let new = EditSet.applying(Array(edits), to: bytes, in: span)
      var newLines = splitLines(new)[...]
      while a0 < a1, let line = newLines.first, bytes[oldLines[a0]].elementsEqual(new[line]) {
        a0 += 1
        newLines = newLines.dropFirst()
      }
      while a1 > a0, let line = newLines.last, bytes[oldLines[a1 - 1]].elementsEqual(new[line]) {
        a1 -= 1
        newLines = newLines.dropLast()
      }
      let oldCount = a1 - a0
      if oldCount > 0 || !newLines.isEmpty {
        changes.append(Change(a0: a0, a1: a1, b0: a0 + delta, new: new, newLines: Array(newLines)))
      }
      delta += newLines.count - oldCount
    }
    return changes
  }

  // MARK: - Helpers

  /// Path as written after `a/` / `b/`: leading `./` components removed.
  static func displayPath(_ path: String) -> String {
    var p = Substring(path)
    while p.hasPrefix("./") {
      p = p.dropFirst(2)
      while p.hasPrefix("/") { p = p.dropFirst() }
    }
    return String(p)
  }

  /// GNU `print_unidiff_number_range`: `start,count`, `start` alone when the
  /// count is 1, and for an empty range the number of the line *before* it
  /// followed by `,0`.
  static func range(_ start: Int, _ end: Int) -> String {
    let count = end - start
    if count == 0 { return "\(start),0" }
    if count == 1 { return "\(start + 1)" }
    return "\(start + 1),\(count)"
  }

  /// Splits into byte ranges, each including its terminating "\n" if any.
  static func splitLines(_ bytes: [UInt8]) -> [Range<Int>] {
    var lines: [Range<Int>] = []
    var start = 0
    var i = 0
    let count = bytes.count
    while i < count {
      if bytes[i] == 0x0A {
        lines.append(start..<(i + 1))
        start = i + 1
      }
      i += 1
    }
    if start < count { lines.append(start..<count) }
    return lines
  }
}


extension UnifiedDiff {
  // MARK: - Output

  fileprivate struct Writer {
    enum Kind { case context, removed, added }

    static let bold: [UInt8] = Array("\u{1B}[1m".utf8)
    static let cyan: [UInt8] = Array("\u{1B}[36m".utf8)
    static let red: [UInt8] = Array("\u{1B}[31m".utf8)
    static let green: [UInt8] = Array("\u{1B}[32m".utf8)
    static let reset: [UInt8] = Array("\u{1B}[0m".utf8)
    static let noNewline: [UInt8] = Array("\\ No newline at end of file\n".utf8)

    let color: Bool
    var out: [UInt8] = []

    init(color: Bool) { self.color = color }

    mutating func header(_ text: String) {
      if color { out += Writer.bold }
      out += Array(text.utf8)
      if color { out += Writer.reset }
      out.append(0x0A)
    }

    mutating func hunk(_ text: String) {
      if color { out += Writer.cyan }
      out += Array(text.utf8)
      if color { out += Writer.reset }
      out.append(0x0A)
    }

    mutating func line(_ prefix: Character, _ bytes: [UInt8], _ r: Range<Int>, kind: Kind) {
      let hasNewline = !r.isEmpty && bytes[r.upperBound - 1] == 0x0A
      let body = hasNewline ? r.lowerBound..<(r.upperBound - 1) : r
      var escape: [UInt8]? = nil
      if color {
        switch kind {
        case .context: escape = nil
        case .removed: escape = Writer.red
        case .added: escape = Writer.green
        }
      }
      if let escape { out += escape }
      out += Array(String(prefix).utf8)
      out += bytes[body]
      if escape != nil { out += Writer.reset }
      out.append(0x0A)
      if !hasNewline { out += Writer.noNewline }
    }
  }
}
