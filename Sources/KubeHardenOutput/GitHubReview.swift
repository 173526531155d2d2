import Foundation
import KubeHarden
import YAMLSource

/// The `--format github-review` report: the JSON body of GitHub's "create a review for a pull
/// request" call (`POST /repos/{owner}/{repo}/pulls/{number}/reviews`), with one suggested change
/// per group of nearby edits.
///
/// A GitHub suggestion replaces whole lines of the file as it is in the pull request (the RIGHT
/// side: our original bytes) with the lines of its ```` ```suggestion ```` block. The comments are
/// built from `FileReport.edits`, not per finding, because findings share edits:
///
/// - Each edit covers the lines its byte range touches. An insertion at the start of line L whose
///   text ends with a line break covers line L-1, which the suggestion replaces with itself plus
///   the new lines (line 1 when L is 1: the new lines, then the old line 1). That way an insertion
///   at the end of a file with a final line break never names the empty line after it.
/// - Edits whose line ranges overlap or touch form one group and one comment. When the fixed
///   text of a group's lines would not end with a line break (an edit joined a line with the
///   next), the group takes in the next line.
/// - The suggestion holds the fixed text of the group's lines without the final line break; an
///   empty block deletes the lines. A fence longer than any run of backticks in it is used.
/// - The comment's body lists every finding whose fix uses one of the group's edits (severity,
///   pass id linked to its rule, message, fix title), then the suggestion.
/// - Findings that are not fixable get a plain comment on their start line, saying why;
///   `includeExempted: false` leaves out exempted ones. A fixable finding whose edits are not in
///   `FileReport.edits` also gets a plain comment.
/// - Files that could not be processed, and standard input, get no comments; the summary in the
///   review body names the files with errors.
///
/// Limitations: GitHub accepts comments only on lines inside the pull request's diff, so
/// filtering is the caller's job (`kubeharden review`'s planner keeps the comments inside one
/// hunk and puts the other fixes in its summary). Suggestion blocks cannot carry a carriage
/// return: in CRLF files the `\r` is stripped and the comment says so, and GitHub may commit the
/// suggested lines with LF line endings (`applySuggestions` assumes the replaced lines' own line
/// break is kept). A fix that removes a file's final line break cannot be expressed. Paths lose a
/// leading `./`; they must be relative to the repository root.
public enum GitHubReview {
  /// One review comment.
  public struct Comment: Sendable, Hashable {
    public var path: String
    /// The last line of the comment (1-based, in the original file).
    public var line: Int
    /// The first line, for a comment that spans several lines.
    public var startLine: Int?
    public var body: String
  }

  /// A problem with a payload given to `applySuggestions`.
  public struct PayloadError: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  public static func render(
    _ reports: [FileReport], rules: [PassMetadata], tool: ReportTool, commitID: String? = nil,
    includeExempted: Bool = true
  ) -> String {
    var comments: [Comment] = []
    var crlfFiles: [String] = []
    var suggestionCount = 0
    var complete = true
    for report in reports where report.error == nil && !isStandardInput(report.path) {
      let built = fileComments(report, tool: tool, includeExempted: includeExempted)
      comments += built.comments.map(\.comment)
      suggestionCount += built.suggestions
      complete = complete && built.complete
      if built.strippedCarriageReturns { crlfFiles.append(normalizedPath(report.path)) }
    }
    var payload: [String: Any] = [
      "event": "COMMENT",
      "body": summary(reports, suggestions: suggestionCount, complete: complete, crlfFiles: crlfFiles, tool: tool),
      "comments": comments.map { comment -> [String: Any] in
        var object: [String: Any] = ["path": comment.path, "line": comment.line, "side": "RIGHT", "body": comment.body]
        if let start = comment.startLine {
          object["start_line"] = start
          object["start_side"] = "RIGHT"
        }
        return object
      },
    ]
    if let commitID { payload["commit_id"] = commitID }
    return ReportSupport.json(payload)
  }

  // MARK: Comments of one file

  struct Group {
    var first: Int
    var last: Int
    var edits: [Edit]
  }

  /// One comment of a file's review and what it is made of (for `kubeharden review`, which
  /// keeps the comments inside the pull request's diff and fingerprints them).
  public struct FileComment: Sendable, Hashable {
    public var comment: Comment
    /// The edits its suggestion carries (empty for a comment without a suggestion).
    public var edits: [Edit]
    /// The findings it is about.
    public var findings: [Finding]
    /// Whether its lines or its suggestion hold a carriage return, which a suggestion cannot carry.
    public var crlf: Bool
    public var isSuggestion: Bool { !edits.isEmpty }
  }

  /// The comments of one file's review, by line: a suggestion per group of nearby edits of
  /// `report.edits`, then a plain comment for each finding no suggestion explains.
  public static func comments(_ report: FileReport, tool: ReportTool, includeExempted: Bool = true) -> [FileComment] {
    fileComments(report, tool: tool, includeExempted: includeExempted).comments
  }

  static func fileComments(
    _ report: FileReport, tool: ReportTool, includeExempted: Bool
  ) -> (comments: [FileComment], suggestions: Int, strippedCarriageReturns: Bool, complete: Bool) {
    let lines = ReportLines(report.original)
    let path = normalizedPath(report.path)
    var comments: [(order: Int, comment: FileComment)] = []
    var explained = Set<Int>()  // indices of findings that a suggestion explains
    var stripped = false
    var suggestions = 0

    for (group, content) in suggestionGroups(report.edits, lines: lines) {
      let groupEdits = Set(group.edits)
      let indices = report.findings.indices.filter { index in
        let finding = report.findings[index]
        return finding.status.isFixable && (finding.fix?.edits ?? []).contains { groupEdits.contains($0) }
      }
      explained.formUnion(indices)
      let crlf =
        (group.first...group.last).contains { line in
          lines.lineBreak(ofLine: line).map { $0.contains(UInt8(ascii: "\r")) } ?? false
        } || group.edits.contains { $0.replacement.contains(UInt8(ascii: "\r")) }
      stripped = stripped || crlf
      var body = indices.isEmpty ? "**kubeharden** fix\n\n" : findingList(indices.map { report.findings[$0] }, tool: tool) + "\n"
      body += suggestionBlock(content)
      if crlf {
        body +=
          "\n_This file uses CRLF line breaks. The suggestion shows its lines without the carriage return, "
          + "and GitHub may commit them with LF line breaks; run `kubeharden fix` locally to keep CRLF._\n"
      }
      suggestions += 1
      let comment = Comment(path: path, line: group.last, startLine: group.first < group.last ? group.first : nil, body: body)
      comments.append(
        (group.last, FileComment(comment: comment, edits: group.edits, findings: indices.map { report.findings[$0] }, crlf: crlf)))
    }

    let lastLine = max(1, lines.visibleLineCount)
    var complete = true
    for (index, finding) in report.findings.enumerated() where !explained.contains(index) {
      var note: String
      switch finding.status {
      case .exempted(let reason, _):
        guard includeExempted else { continue }
        note = "Not fixed: exempted (\(reason))."
      case .unfixable(let reason):
        note = "Not fixed automatically: \(reason)."
      case .fixable where finding.fix?.applicability == .unsafe && !(finding.fix?.edits ?? []).contains(where: report.edits.contains):
        note = "Unsafe fix, not applied by default (\(finding.fix?.title ?? "")): review it, then run `kubeharden fix --unsafe-fixes`."
      case .fixable:
        complete = false
        note = "This fix could not be expressed as a suggestion; run `kubeharden fix`."
      }
      let line = min(max(1, finding.start.line), lastLine)
      note = findingList([finding], tool: tool) + "\n" + note + "\n"
      comments.append((line, FileComment(comment: Comment(path: path, line: line, startLine: nil, body: note), edits: [], findings: [finding], crlf: false)))
    }
    let sorted = comments.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }
    return (sorted.map(\.element.comment), suggestions, stripped, complete)
  }

  /// Groups `edits` by the original lines they cover and computes each group's suggestion
  /// lines; a group whose edits overlap (never the case for a valid report) is left out.
  static func suggestionGroups(_ edits: [Edit], lines: ReportLines) -> [(Group, [String])] {
    var groups: [Group] = []
    for edit in ReportSupport.ordered(edits) {
      let covered = coveredLines(edit, lines: lines)
      if let last = groups.indices.last, covered.lowerBound <= groups[last].last + 1 {
        groups[last].last = max(groups[last].last, covered.upperBound)
        groups[last].edits.append(edit)
      } else {
        groups.append(Group(first: covered.lowerBound, last: covered.upperBound, edits: [edit]))
      }
    }
    var result: [(Group, [String])] = []
    var next = 0
    while next < groups.count {
      var group = groups[next]
      next += 1
      while true {
        while next < groups.count, groups[next].first <= group.last + 1 {
          group.last = max(group.last, groups[next].last)
          group.edits += groups[next].edits
          next += 1
        }
        let span = lines.start(ofLine: group.first)..<lines.end(ofLineWithBreak: group.last)
        guard let fixed = lines.fixed(span, with: group.edits) else { break }
        if lines.lineBreak(ofLine: group.last) == nil {
          result.append((group, ReportText.lines(fixed, keepFinalEmpty: true)))
          break
        }
        if fixed.isEmpty || ReportText.endsWithBreak(fixed) {
          result.append((group, ReportText.lines(fixed)))
          break
        }
        group.last += 1  // the fix joins the last line with the next one: take that in too
      }
    }
    return result
  }

  /// The original lines an edit replaces in a suggestion.
  static func coveredLines(_ edit: Edit, lines: ReportLines) -> ClosedRange<Int> {
    let lower = edit.range.lowerBound
    let upper = edit.range.upperBound
    if lower < upper { return lines.line(lower)...lines.line(upper - 1) }
    let line = lines.line(lower)
    if lines.isLineStart(lower), edit.replacement.isEmpty || ReportText.endsWithBreak(edit.replacement) {
      return line > 1 ? (line - 1)...(line - 1) : 1...1
    }
    return line...line
  }

  // MARK: Markdown

  static func findingList(_ findings: [Finding], tool: ReportTool) -> String {
    findings.map { finding in
      var item = "- **\(finding.severity.rawValue)** [`\(finding.passID)`](\(tool.ruleURL(finding.passID))): \(finding.message)"
      if finding.status.isFixable, let title = finding.fix?.title { item += " — _\(title)_" }
      return item + "\n"
    }.joined()
  }

  static func suggestionBlock(_ content: [String]) -> String {
    let fence = String(repeating: "`", count: max(3, content.map(longestBacktickRun).max().map { $0 + 1 } ?? 3))
    return fence + "suggestion\n" + content.map { $0 + "\n" }.joined() + fence + "\n"
  }

  static func longestBacktickRun(_ line: String) -> Int {
    var longest = 0
    var current = 0
    for character in line.unicodeScalars {
      current = character == "`" ? current + 1 : 0
      longest = max(longest, current)
    }
    return longest
  }

  static func summary(
    _ reports: [FileReport], suggestions: Int, complete: Bool, crlfFiles: [String], tool: ReportTool
  ) -> String {
    let counts = ReportSupport.counts(reports)
    let filesWithFindings = reports.filter { !$0.findings.isEmpty }.count
    var body = "**\(tool.name)** found \(ReportSupport.plural(counts.total, "finding"))"
    if counts.total > 0 { body += " in \(ReportSupport.plural(filesWithFindings, "file"))" }
    body += ": \(counts.fixable) fixable, \(counts.exempted) exempted, \(counts.unfixable) manual.\n"
    if suggestions > 0 && complete {
      body +=
        "\n\(ReportSupport.plural(suggestions, "suggested change")) below carry every fix; committing all of them "
        + "gives the same files as `\(tool.name) fix`.\n"
    } else if suggestions > 0 {
      body +=
        "\n\(ReportSupport.plural(suggestions, "suggested change")) below carry most fixes; run `\(tool.name) fix` "
        + "for the others.\n"
    }
    if !crlfFiles.isEmpty {
      body +=
        "\nThese files use CRLF line breaks, which suggestions cannot carry; run `\(tool.name) fix` locally for them: "
        + crlfFiles.map { "`\($0)`" }.joined(separator: ", ") + ".\n"
    }
    let failed = reports.filter { $0.error != nil }
    if !failed.isEmpty {
      body += "\nFiles that could not be processed:\n\n"
      for report in failed {
        if let error = report.error {
          body += "- `\(report.path)` line \(error.line), column \(error.column): \(error.message)\n"
        }
      }
    }
    return body
  }

  static func normalizedPath(_ path: String) -> String {
    var path = path
    while path.hasPrefix("./") { path.removeFirst(2) }
    return path
  }

  static func isStandardInput(_ path: String) -> Bool { path == "-" || path == "<stdin>" }

  // MARK: Simulating GitHub

  /// Applies every suggestion of `payload` (a `render` result) to `original` the way GitHub's
  /// "Commit suggestion" does: lines `start_line...line` are replaced by the block's lines, each
  /// followed by the last replaced line's own line break (none when that line had none; no lines
  /// at all for an empty block). With `path`, only comments on that path are applied.
  public static func applySuggestions(original: [UInt8], payload: String, path: String? = nil) throws -> [UInt8] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
      let comments = object["comments"] as? [[String: Any]]
    else { throw PayloadError(description: "not a review payload with a comments array") }
    let lines = ReportLines(original)
    let wanted = path.map(normalizedPath)
    var edits: [Edit] = []
    for comment in comments {
      if let wanted, comment["path"] as? String != wanted { continue }
      guard let body = comment["body"] as? String, let content = suggestion(in: body) else { continue }
      guard let last = comment["line"] as? Int else { throw PayloadError(description: "comment without line") }
      let first = comment["start_line"] as? Int ?? last
      guard first >= 1, first <= last, last <= lines.table.lineCount else {
        throw PayloadError(description: "lines \(first)...\(last) are not in the file")
      }
      let span = lines.start(ofLine: first)..<lines.end(ofLineWithBreak: last)
      let lineBreak = lines.lineBreak(ofLine: last)
      let separator = lineBreak ?? Array(lines.source.dominantLineBreak.rawValue.utf8)
      var replacement: [UInt8] = []
      for (index, line) in content.enumerated() {
        if index > 0 { replacement += separator }
        replacement += Array(line.utf8)
      }
      if !content.isEmpty, let lineBreak { replacement += lineBreak }
      edits.append(Edit(range: span, replacement: replacement))
    }
    do {
      return try EditSet(edits).apply(to: original)
    } catch {
      throw PayloadError(description: "suggestions overlap: \(error)")
    }
  }

  /// The lines of the first ```` ```suggestion ```` block in `body`, `nil` when there is none.
  static func suggestion(in body: String) -> [String]? {
    let bodyLines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for (index, line) in bodyLines.enumerated() {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      let fenceLength = trimmed.prefix(while: { $0 == "`" }).count
      guard fenceLength >= 3, trimmed.dropFirst(fenceLength) == "suggestion" else { continue }
      var content: [String] = []
      for candidate in bodyLines[(index + 1)...] {
        let candidateTrimmed = candidate.trimmingCharacters(in: .whitespaces)
        if candidateTrimmed.count >= fenceLength, candidateTrimmed.allSatisfy({ $0 == "`" }) { return content }
        content.append(candidate)
      }
      return nil
    }
    return nil
  }
}
