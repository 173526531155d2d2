import KubeHarden
import YAMLSource

/// The default, human-readable report.
///
/// One line per finding, `path:line:col: severity[pass-id]: message`, sorted by path, line and
/// column (columns in Unicode scalars, 1-based). Exempted and manual findings end with
/// `(exempted: reason)` or `(manual: reason)`. An unsafe fix is announced on the line after its
/// finding (`unsafe fix (applied only with --unsafe-fixes): title`). Under a fixable finding, indented by four
/// spaces, its fix as a short diff: the original lines its edits touch prefixed `-`, the same
/// lines with the finding's own edits applied prefixed `+` (a pure insertion of whole lines has
/// only `+` lines). Line breaks are not shown. Files that could not be processed print
/// `path:line:col: error: message` in the same order.
///
/// With `githubActions`, each entry is preceded by a workflow command that annotates the line in
/// GitHub Actions: `::error`, `::warning` or `::notice` by severity (`::notice` for exempted
/// findings), with `file`, `line`, `col`, `endLine`, `endColumn` and `title` (the pass id).
public enum TextReport {
  public static func render(_ reports: [FileReport], rules: [PassMetadata], githubActions: Bool = false) -> String {
    struct Entry {
      var path: String
      var line: Int
      var column: Int
      var text: [String]
    }
    var entries: [Entry] = []
    for report in reports {
      if let error = report.error {
        var text: [String] = []
        if githubActions {
          text.append(
            command(
              "error", properties: [("file", report.path), ("line", "\(error.line)"), ("col", "\(error.column)"), ("title", "kubeharden")],
              message: error.message))
        }
        text.append(error.formatted(path: report.path))
        entries.append(Entry(path: report.path, line: error.line, column: error.column, text: text))
      }
      let lines = ReportLines(report.original)
      for finding in report.findings {
        var message = finding.message
        if let reason = finding.status.reason { message += " (\(finding.status.kind): \(reason))" }
        var text: [String] = []
        if githubActions {
          let kind: String
          if case .exempted = finding.status {
            kind = "notice"
          } else {
            kind = finding.severity == .error ? "error" : finding.severity == .warning ? "warning" : "notice"
          }
          text.append(
            command(
              kind,
              properties: [
                ("file", report.path), ("line", "\(finding.start.line)"), ("col", "\(finding.start.column)"),
                ("endLine", "\(finding.end.line)"), ("endColumn", "\(finding.end.column)"), ("title", finding.passID),
              ], message: message))
        }
        text.append(
          "\(report.path):\(finding.start.line):\(finding.start.column): \(finding.severity.rawValue)[\(finding.passID)]: \(message)")
        if finding.status.isFixable, let fix = finding.fix {
          if fix.applicability == .unsafe { text.append("    unsafe fix (applied only with --unsafe-fixes): \(fix.title)") }
          text += diff(fix.edits, lines: lines).map { "    " + $0 }
        }
        entries.append(Entry(path: report.path, line: finding.start.line, column: finding.start.column, text: text))
      }
    }
    let sorted = entries.enumerated().sorted { a, b in
      if a.element.path != b.element.path { return a.element.path < b.element.path }
      return (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
    }
    return sorted.flatMap(\.element.text).map { $0 + "\n" }.joined()
  }

  /// `-`/`+` lines for `edits` (one finding's edits) applied to the original lines they touch.
  static func diff(_ edits: [Edit], lines: ReportLines) -> [String] {
    let ordered = ReportSupport.ordered(edits)
    guard let lower = ordered.map(\.range.lowerBound).min(), let upperMost = ordered.map(\.range.upperBound).max(),
      upperMost <= lines.bytes.count
    else { return [] }
    let start = lines.source.lineStart(containing: lower)
    var end = lines.isLineStart(upperMost) ? upperMost : lines.source.nextLineStart(after: upperMost)
    while true {
      guard let fixed = lines.fixed(start..<end, with: ordered) else { return [] }
      // A fix that joins its last line with the next one shows that next line too.
      if end < lines.bytes.count, !fixed.isEmpty, !ReportText.endsWithBreak(fixed) {
        end = lines.source.nextLineStart(after: end)
        continue
      }
      return ReportText.lines(lines.bytes[start..<end]).map { "-" + $0 } + ReportText.lines(fixed).map { "+" + $0 }
    }
  }

  /// A GitHub Actions workflow command, escaped as the runner requires.
  static func command(_ name: String, properties: [(String, String)], message: String) -> String {
    WorkflowCommand.format(name, properties: properties, message: message)
  }
}
