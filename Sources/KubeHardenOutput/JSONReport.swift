import Foundation
import KubeHarden
import YAMLSource

/// Who produced a report: the tool's name, version and documentation links, shared by every
/// machine-readable renderer.
public struct ReportTool: Sendable, Hashable {
  public var name: String
  public var version: String
  /// The tool's home page (SARIF `informationUri`, rdjson `source.url`).
  public var informationURI: String
  /// The documentation URL of one rule; `{id}` is replaced by the pass id.
  public var ruleURLPattern: String

  public static let defaultInformationURI = "https://github.com/kubeharden/kubeharden"

  public init(
    name: String = "kubeharden", version: String, informationURI: String = ReportTool.defaultInformationURI,
    ruleURLPattern: String? = nil
  ) {
    self.name = name
    self.version = version
    self.informationURI = informationURI
    self.ruleURLPattern = ruleURLPattern ?? "\(informationURI)/blob/main/docs/rules.md#{id}"
  }

  /// The documentation URL of the pass `id`.
  public func ruleURL(_ id: String) -> String {
    ruleURLPattern.replacingOccurrences(of: "{id}", with: id)
  }
}

/// The `--format json` report: one deterministic JSON document (sorted keys, two-space indent)
/// describing every file, finding and fix edit.
///
/// Shape: `{tool, version, summary, files: [{path, changed, error, findings: [...]}]}`. Each
/// finding has `passId`, `severity`, `message`, `path`, `title`, `helpUri`, `start`/`end`
/// (`line`, `column` in Unicode scalars, 1-based; `offset` in bytes), `fixable`, `status`
/// (`kind`: fixable, exempted or manual; `reason`, `location`), `applicability` (`safe`, `unsafe`,
/// `manual`, or `null` when exempted), `podSecurity` (`profile`, `checks`: the Pod Security
/// Standards profile and PSA check ids of the pass, `null` for kubeharden's own passes) and `fix`
/// (`title`, `applicability`, `edits`), or `null` for
/// what is absent. An unsafe fix is listed even when `fix` does not apply it (no
/// `--unsafe-fixes`); its edits are against the original file.
/// An edit has `byteOffset`, `byteLength`, `start`, `end` (locations in the original file) and
/// `replacement` (its text). Files and findings keep the order of `reports`.
public enum JSONReport {
  public static func render(_ reports: [FileReport], rules: [PassMetadata], tool: ReportTool) -> String {
    let rulesByID = ReportSupport.rulesByID(rules)
    var summary = [
      "files": reports.count, "changed": 0, "errors": 0, "findings": 0, "fixable": 0, "exempted": 0, "manual": 0, "safe": 0, "unsafe": 0,
    ]
    var files: [Any] = []
    for report in reports {
      let lines = ReportLines(report.original)
      if report.changed { summary["changed", default: 0] += 1 }
      if report.error != nil { summary["errors", default: 0] += 1 }
      var findings: [Any] = []
      for finding in report.findings {
        summary["findings", default: 0] += 1
        summary[finding.status.kind, default: 0] += 1
        if let applicability = finding.applicability, applicability != .manual { summary[applicability.rawValue, default: 0] += 1 }
        findings.append(findingObject(finding, path: report.path, lines: lines, rule: rulesByID[finding.passID], tool: tool))
      }
      var file: [String: Any] = [
        "path": report.path, "changed": report.changed, "findings": findings, "error": NSNull(),
      ]
      if let error = report.error {
        file["error"] = ["line": error.line, "column": error.column, "message": error.message]
      }
      files.append(file)
    }
    let document: [String: Any] = [
      "tool": tool.name, "version": tool.version, "summary": summary, "files": files,
    ]
    return ReportSupport.json(document)
  }

  static func findingObject(
    _ finding: Finding, path: String, lines: ReportLines, rule: PassMetadata?, tool: ReportTool
  ) -> [String: Any] {
    var status: [String: Any] = ["kind": finding.status.kind, "reason": finding.status.reason ?? NSNull()]
    if case .exempted(_, let location?) = finding.status {
      status["location"] = locationObject(location)
    }
    var fix: Any = NSNull()
    if let f = finding.fix {
      let edits: [Any] = ReportSupport.ordered(f.edits).map { edit in
        [
          "byteOffset": edit.range.lowerBound, "byteLength": edit.range.count,
          "start": locationObject(lines.location(edit.range.lowerBound)),
          "end": locationObject(lines.location(edit.range.upperBound)),
          "replacement": edit.text,
        ] as [String: Any]
      }
      fix = ["title": f.title, "applicability": f.applicability.rawValue, "edits": edits] as [String: Any]
    }
    return [
      "passId": finding.passID, "severity": finding.severity.rawValue, "message": finding.message,
      "path": path, "title": rule?.title ?? NSNull(), "helpUri": tool.ruleURL(finding.passID),
      "start": locationObject(finding.start), "end": locationObject(finding.end),
      "fixable": finding.status.isFixable, "status": status, "fix": fix,
      "applicability": finding.applicability?.rawValue ?? NSNull(),
      "podSecurity": rule?.podSecurity.map { ["profile": $0.profile.rawValue, "checks": $0.checks] as [String: Any] } ?? NSNull(),
    ]
  }

  static func locationObject(_ location: SourceLocation) -> [String: Any] {
    ["line": location.line, "column": location.column, "offset": location.offset]
  }
}

// MARK: - Helpers shared by the renderers in this module

/// Small pieces every renderer needs: deterministic JSON, rule lookup, edit ordering.
enum ReportSupport {
  /// Serialises `object` (built from dictionaries, arrays, strings, numbers, booleans, `NSNull`)
  /// with sorted keys and unescaped slashes, followed by a newline.
  static func json(_ object: Any) -> String {
    let options: JSONSerialization.WritingOptions = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else {
      // Only reachable with a non-JSON value in `object`, which the renderers never build.
      return "{}\n"
    }
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  static func rulesByID(_ rules: [PassMetadata]) -> [String: PassMetadata] {
    var byID: [String: PassMetadata] = [:]
    for rule in rules where byID[rule.id] == nil { byID[rule.id] = rule }
    return byID
  }

  /// `edits` in application order (as `EditSet` sorts them); input order when they overlap.
  static func ordered(_ edits: [Edit]) -> [Edit] {
    (try? EditSet(edits).sorted()) ?? edits
  }

  /// `(total, fixable, exempted, unfixable)` over all findings.
  static func counts(_ reports: [FileReport]) -> (total: Int, fixable: Int, exempted: Int, unfixable: Int) {
    var result = (total: 0, fixable: 0, exempted: 0, unfixable: 0)
    for finding in reports.flatMap(\.findings) {
      result.total += 1
      switch finding.status {
      case .fixable: result.fixable += 1
      case .exempted: result.exempted += 1
      case .unfixable: result.unfixable += 1
      }
    }
    return result
  }

  static func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
}

/// Line facts about one original buffer, for renderers: locations, byte columns, line spans.
struct ReportLines {
  let bytes: [UInt8]
  let source: SourceBuffer
  let table: LineTable

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
    self.source = SourceBuffer(bytes)
    self.table = LineTable(source)
  }

  /// 1-based line, 1-based column in Unicode scalars (BOM not counted).
  func location(_ offset: Int) -> SourceLocation { table.location(of: offset) }

  func line(_ offset: Int) -> Int { table.location(of: offset).line }

  /// 1-based line and 1-based column counted in UTF-8 bytes from the line start (a BOM counts).
  func byteColumn(_ offset: Int) -> (line: Int, column: Int) {
    let clamped = max(0, min(offset, bytes.count))
    let line = self.line(clamped)
    return (line, clamped - table.offset(ofLine: line) + 1)
  }

  /// The number of lines an editor or GitHub shows: the empty "line" after a final line break
  /// does not count.
  var visibleLineCount: Int {
    bytes.isEmpty ? 0 : (source.endsWithLineBreak ? table.lineCount - 1 : table.lineCount)
  }

  func start(ofLine line: Int) -> Int { table.offset(ofLine: line) }

  /// The offset just after the line break ending `line` (the end of the file for the last line).
  func end(ofLineWithBreak line: Int) -> Int {
    let start = table.offset(ofLine: line)
    return source.nextLineStart(after: start)
  }

  /// The line break ending `line`, `nil` for a last line without one.
  func lineBreak(ofLine line: Int) -> [UInt8]? {
    let range = table.range(ofLine: line)
    let end = end(ofLineWithBreak: line)
    return end > range.upperBound ? Array(bytes[range.upperBound..<end]) : nil
  }

  /// Whether `offset` is the first byte of a line (not between `\r` and `\n`).
  func isLineStart(_ offset: Int) -> Bool {
    guard offset > 0 else { return true }
    guard offset <= bytes.count else { return false }
    let before = bytes[offset - 1]
    if before == UInt8(ascii: "\n") { return true }
    if before == UInt8(ascii: "\r") { return offset == bytes.count || bytes[offset] != UInt8(ascii: "\n") }
    return false
  }

  /// The original bytes of `span` with those of `edits` that lie inside it applied; `nil` when
  /// an edit reaches outside the span or two edits overlap.
  func fixed(_ span: Range<Int>, with edits: [Edit]) -> [UInt8]? {
    var shifted: [Edit] = []
    for edit in edits {
      guard edit.range.lowerBound >= span.lowerBound, edit.range.upperBound <= span.upperBound else { return nil }
      shifted.append(
        Edit(
          range: (edit.range.lowerBound - span.lowerBound)..<(edit.range.upperBound - span.lowerBound),
          replacement: edit.replacement, order: edit.order))
    }
    return try? EditSet(shifted).apply(to: Array(bytes[span]))
  }
}

/// Line helpers on byte buffers.
enum ReportText {
  static func isBreak(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") }

  static func endsWithBreak<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
    guard let last = bytes.reversed().first else { return false }
    return isBreak(last)
  }

  /// The lines of `bytes` without their breaks (`\r\n`, `\n` or `\r`). With `keepFinalEmpty`
  /// false, a final line break does not open an empty last line; the empty buffer has no lines.
  static func lines<C: Collection>(_ bytes: C, keepFinalEmpty: Bool = false) -> [String] where C.Element == UInt8 {
    let array = Array(bytes)
    var lines: [String] = []
    var start = 0
    var index = 0
    while index < array.count {
      let byte = array[index]
      if isBreak(byte) {
        lines.append(String(decoding: array[start..<index], as: UTF8.self))
        if byte == UInt8(ascii: "\r"), index + 1 < array.count, array[index + 1] == UInt8(ascii: "\n") { index += 1 }
        start = index + 1
      }
      index += 1
    }
    if start < array.count || (keepFinalEmpty && !array.isEmpty) {
      lines.append(String(decoding: array[start...], as: UTF8.self))
    }
    return lines
  }
}
