import Foundation
import KubeHarden
import YAMLSource

/// The `--format rdjson` report: one reviewdog `DiagnosticResult`, for
/// `reviewdog -f=rdjson -reporter=github-pr-review` (which posts the suggestions as GitHub
/// suggested changes).
///
/// - Positions: 1-based lines and 1-based columns counted in **UTF-8 bytes** from the start of
///   the line, as the rdjson schema requires (a BOM counts on line 1); ranges end exclusive.
/// - Suggestions: a fixable finding gets exactly one suggestion covering its own edits, from
///   the first edit's start to the last edit's end, whose text is that span of the original with
///   the edits applied. One suggestion per diagnostic is what reviewdog's GitHub reporter
///   supports: it rejects suggestions whose line range differs from the comment's. An insertion
///   is a zero-width range. An edit that ends at the end of a file with a final line break is
///   moved before that break, so that no range names the empty "line" after it, which reviewdog
///   cannot read.
/// - Shared edits: when several findings share an edit, each diagnostic carries a suggestion
///   with it; applying one suggestion makes the others outdated, as on GitHub.
/// - Non-fixable findings carry no suggestion; their message ends with the reason in
///   parentheses. `includeExempted: false` leaves exempted findings out.
/// - Files that could not be processed become one ERROR diagnostic at the error's position.
public enum RDJSONReport {
  public static func render(
    _ reports: [FileReport], rules: [PassMetadata], tool: ReportTool, includeExempted: Bool = true
  ) -> String {
    var diagnostics: [Any] = []
    var worst: Severity?
    for report in reports {
      if let error = report.error {
        diagnostics.append(
          [
            "message": error.message,
            "location": ["path": report.path, "range": ["start": ["line": max(1, error.line)]]],
            "severity": "ERROR",
            "code": ["value": "parse-error"],
          ] as [String: Any])
        worst = .error
      }
      let lines = ReportLines(report.original)
      for finding in report.findings {
        if case .exempted = finding.status, !includeExempted { continue }
        diagnostics.append(diagnostic(finding, path: report.path, lines: lines, tool: tool))
        if worst.map({ rank(finding.severity) < rank($0) }) ?? true { worst = finding.severity }
      }
    }
    var document: [String: Any] = [
      "source": ["name": tool.name, "url": tool.informationURI],
      "diagnostics": diagnostics,
    ]
    if let worst { document["severity"] = severityName(worst) }
    return ReportSupport.json(document)
  }

  static func diagnostic(_ finding: Finding, path: String, lines: ReportLines, tool: ReportTool) -> [String: Any] {
    var message = finding.message
    if let reason = finding.status.reason { message += " (\(finding.status.kind): \(reason))" }
    var object: [String: Any] = [
      "message": message,
      "location": ["path": path, "range": range(locationSpan(finding.range, lines: lines), lines: lines)],
      "severity": severityName(finding.severity),
      "code": ["value": finding.passID, "url": tool.ruleURL(finding.passID)],
    ]
    if finding.status.isFixable, let fix = finding.fix, let suggestion = suggestion(fix.edits, lines: lines) {
      object["suggestions"] = [suggestion]
    }
    return object
  }

  /// One suggestion that applies all of `edits` (edits of one finding, non-overlapping).
  static func suggestion(_ edits: [Edit], lines: ReportLines) -> [String: Any]? {
    let ordered = ReportSupport.ordered(edits)
    guard let first = ordered.first else { return nil }
    let lower = first.range.lowerBound
    let upper = ordered.map(\.range.upperBound).max() ?? first.range.upperBound
    guard lower <= upper, upper <= lines.bytes.count, let text = lines.fixed(lower..<upper, with: ordered) else {
      return nil
    }
    let (span, replacement) = avoidingLineAfterFinalBreak(lower..<upper, text, lines: lines)
    return ["range": range(span, lines: lines), "text": String(decoding: replacement, as: UTF8.self)]
  }

  /// Rewrites a replacement of `span` that ends at the end of a file ending with a line break,
  /// where the position is on the empty line after the break, into an equal replacement that
  /// ends before that break. Returns the input when no such rewrite exists.
  static func avoidingLineAfterFinalBreak(
    _ span: Range<Int>, _ text: [UInt8], lines: ReportLines
  ) -> (Range<Int>, [UInt8]) {
    let bytes = lines.bytes
    let lastLine = lines.visibleLineCount
    guard span.upperBound == bytes.count, lastLine >= 1, let br = lines.lineBreak(ofLine: lastLine) else {
      return (span, text)
    }
    let k = br.count
    // The span keeps its start and stops before the break; the text must then end with it too.
    if span.upperBound - k >= span.lowerBound, text.count >= k, Array(text.suffix(k)) == br {
      return (span.lowerBound..<(span.upperBound - k), Array(text.dropLast(k)))
    }
    // The span moves one break earlier; this needs the same break just before its start.
    if span.lowerBound >= k, Array(bytes[(span.lowerBound - k)..<span.lowerBound]) == br {
      if text.isEmpty { return ((span.lowerBound - k)..<(span.upperBound - k), []) }
      if text.count >= k, Array(text.suffix(k)) == br {
        return ((span.lowerBound - k)..<(span.upperBound - k), br + Array(text.dropLast(k)))
      }
    }
    return (span, text)
  }

  /// `span` without a final line break at the end of the file, so that the location does not
  /// end on the empty line after it.
  static func locationSpan(_ span: Range<Int>, lines: ReportLines) -> Range<Int> {
    let lastLine = lines.visibleLineCount
    guard span.upperBound == lines.bytes.count, lastLine >= 1, let br = lines.lineBreak(ofLine: lastLine),
      span.upperBound - br.count >= span.lowerBound
    else { return span }
    return span.lowerBound..<(span.upperBound - br.count)
  }

  static func range(_ span: Range<Int>, lines: ReportLines) -> [String: Any] {
    let start = lines.byteColumn(span.lowerBound)
    let end = lines.byteColumn(span.upperBound)
    return [
      "start": ["line": start.line, "column": start.column],
      "end": ["line": end.line, "column": end.column],
    ]
  }

  static func rank(_ severity: Severity) -> Int {
    switch severity {
    case .error: return 0
    case .warning: return 1
    case .note: return 2
    }
  }

  static func severityName(_ severity: Severity) -> String {
    switch severity {
    case .error: return "ERROR"
    case .warning: return "WARNING"
    case .note: return "INFO"
    }
  }
}
