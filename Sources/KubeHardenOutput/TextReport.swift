import KubeHarden
import YAMLSource

/// The default, human-readable report: one block per fix, not per finding.
///
/// A block lists the findings one fix resolves, one line each, `path:line:col:
/// severity[pass-id]: message` (columns in Unicode scalars, 1-based), then the fix once, indented
/// by four spaces, as a short diff: the lines it changes, as `diff` shows them without context
/// (the original lines prefixed `-`, the new ones `+`; a pure insertion of whole lines has only
/// `+` lines; line breaks are not shown). The fixes are the groups of nearby edits of
/// `FileReport.edits` (those `fix` applies, as in a pull-request suggestion); a finding whose
/// fix writes in several places (a container's mount and the pod's volume) joins those groups
/// into one block, their diffs apart, separated by `...`; an unsafe fix
/// that is not applied is a block of its own, announced by `unsafe fix (applied only with
/// --unsafe-fixes): title` before its diff. Exempted and manual findings are a line each, ending
/// with `(exempted: reason)` or `(manual: reason)`. Blocks are sorted by path, then by the line
/// and column of their first finding. Files that could not be processed are not printed here:
/// the command prints their errors once, on standard error.
///
/// With `githubActions`, each finding is preceded by a workflow command that annotates its line
/// in GitHub Actions: `::error`, `::warning` or `::notice` by severity (`::notice` for exempted
/// findings), with `file`, `line`, `col`, `endLine`, `endColumn` and `title` (the pass id), and
/// each file error by an `::error`; at most 10 of each kind (what GitHub shows per step), then
/// one `::notice` counting the others.
public enum TextReport {
  public static func render(_ reports: [FileReport], rules: [PassMetadata], githubActions: Bool = false) -> String {
    struct Block {
      var path: String
      var line: Int
      var column: Int
      var findings: [Finding]
      var fix: [String]
    }
    var blocks: [Block] = []
    var annotations = WorkflowCommand.Annotations()
    var out: [String] = []
    for report in reports {
      if let error = report.error, githubActions {
        var properties = [("file", report.path)]
        if error.line >= 1 { properties += [("line", "\(error.line)"), ("col", "\(error.column)")] }
        if let command = annotations.command("error", properties: properties + [("title", "kubeharden")], message: error.message) {
          out.append(command)
        }
      }
      let lines = ReportLines(report.original)
      let oldLines = UnifiedDiff.splitLines(report.original)
      var placed = Set<Int>()  // findings already in a block
      // Groups of nearby edits; a finding whose fix has edits in several groups (a container's
      // mount and the pod's volume) joins them into one block, each group's diff shown apart.
      let groups = GitHubReview.suggestionGroups(report.edits, lines: lines).map(\.0)
      var members: [[Int]] = groups.map { group in
        let edits = Set(group.edits)
        return report.findings.indices.filter { index in
          let finding = report.findings[index]
          return finding.status.isFixable && (finding.fix?.edits ?? []).contains { edits.contains($0) }
        }
      }
      var component = Array(groups.indices)  // union-find over groups sharing a finding
      func root(_ i: Int) -> Int {
        var i = i
        while component[i] != i { i = component[i] }
        return i
      }
      var firstGroup: [Int: Int] = [:]
      for (group, list) in members.enumerated() {
        for finding in list {
          if let other = firstGroup[finding] { component[root(group)] = root(other) } else { firstGroup[finding] = group }
        }
      }
      var blockOf: [Int: Int] = [:]  // component root -> block
      for group in groups.indices where !members[group].isEmpty {
        let key = root(group)
        let fresh = members[group].filter { !placed.contains($0) }
        placed.formUnion(fresh)
        let findings = fresh.map { report.findings[$0] }
        let unsafe = findings.compactMap(\.fix).filter { $0.applicability == .unsafe }.map { "    unsafe fix: \($0.title)" }
        let shown = diff(groups[group].edits, lines: lines, oldLines: oldLines).map { "    " + $0 }
        if let block = blockOf[key] {
          blocks[block].findings += findings
          blocks[block].fix += unsafe + ["    ..."] + shown
        } else {
          guard let head = findings.first else { continue }
          blockOf[key] = blocks.count
          blocks.append(Block(path: report.path, line: head.start.line, column: head.start.column, findings: findings, fix: unsafe + shown))
        }
      }
      members.removeAll()
      // Unsafe fixes that are not applied (and any fix missing from the edits): one block per fix.
      var byFix: [[Edit]: Int] = [:]
      for (index, finding) in report.findings.enumerated() where !placed.contains(index) {
        guard finding.status.isFixable, let fix = finding.fix, !fix.edits.isEmpty else {
          blocks.append(Block(path: report.path, line: finding.start.line, column: finding.start.column, findings: [finding], fix: []))
          continue
        }
        if let existing = byFix[fix.edits] {
          blocks[existing].findings.append(finding)
          continue
        }
        byFix[fix.edits] = blocks.count
        let announce = fix.applicability == .unsafe ? ["    unsafe fix (applied only with --unsafe-fixes): \(fix.title)"] : []
        blocks.append(
          Block(
            path: report.path, line: finding.start.line, column: finding.start.column, findings: [finding],
            fix: announce + diff(fix.edits, lines: lines, oldLines: oldLines).map { "    " + $0 }))
      }
    }
    let sorted = blocks.enumerated().sorted { a, b in
      if a.element.path != b.element.path { return a.element.path < b.element.path }
      return (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
    }
    for block in sorted.map(\.element) {
      for finding in block.findings.sorted(by: { ($0.start.line, $0.start.column) < ($1.start.line, $1.start.column) }) {
        var message = finding.message
        if let reason = finding.status.reason { message += " (\(finding.status.kind): \(reason))" }
        if githubActions {
          let kind: String
          if case .exempted = finding.status {
            kind = "notice"
          } else {
            kind = finding.severity == .error ? "error" : finding.severity == .warning ? "warning" : "notice"
          }
          let properties = [
            ("file", block.path), ("line", "\(finding.start.line)"), ("col", "\(finding.start.column)"),
            ("endLine", "\(finding.end.line)"), ("endColumn", "\(finding.end.column)"), ("title", finding.passID),
          ]
          if let command = annotations.command(kind, properties: properties, message: message) { out.append(command) }
        }
        out.append("\(block.path):\(finding.start.line):\(finding.start.column): \(finding.severity.rawValue)[\(finding.passID)]: \(message)")
      }
      out += block.fix
    }
    if githubActions, let dropped = annotations.droppedSummary(tool: "kubeharden") { out.append(dropped) }
    return out.map { $0 + "\n" }.joined()
  }

  /// The summary line `check` and `diff` end with: files, findings by severity and by
  /// applicability, exempted ones, files changed (for `diff`), files with errors.
  public static func summary(_ reports: [FileReport], changed: Int? = nil) -> String {
    var severities: [Severity: Int] = [:]
    var applicability: [Applicability: Int] = [:]
    var exempted = 0
    for finding in reports.flatMap(\.findings) {
      guard let kind = finding.applicability else {
        exempted += 1
        continue
      }
      severities[finding.severity, default: 0] += 1
      applicability[kind, default: 0] += 1
    }
    let total = severities.values.reduce(0, +)
    let files = reports.filter { $0.error.map { $0.line >= 1 } ?? true }.count  // not paths that do not exist
    var line = "kubeharden: \(plural(files, "file"))"
    if let changed { line += ", \(changed) would change" }
    line += "; \(plural(total, "finding"))"
    if total > 0 {
      line += " (" + Severity.allCases.map { plural(severities[$0] ?? 0, $0.rawValue) }.joined(separator: ", ")
      line += "; " + Applicability.allCases.map { "\(applicability[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + ")"
    }
    line += ", \(exempted) exempted, \(plural(reports.filter { $0.error != nil }.count, "error"))"
    return line + "\n"
  }

  static func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }

  /// `-`/`+` lines for `edits` (a group's, or one fix's): the changes `UnifiedDiff` derives
  /// from the same edits, without context lines; line breaks are not shown. `oldLines` are the
  /// file's lines (`UnifiedDiff.splitLines`), computed once per file.
  static func diff(_ edits: [Edit], lines: ReportLines, oldLines: [Range<Int>]) -> [String] {
    guard let ordered = try? EditSet(edits).sorted(), ordered.allSatisfy({ $0.range.upperBound <= lines.bytes.count }) else {
      return []
    }
    func text<C: BidirectionalCollection<UInt8>>(_ line: C) -> String {
      var line = line[...]
      if line.last == UInt8(ascii: "\n") { line = line.dropLast() }
      if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
      return String(decoding: line, as: UTF8.self)
    }
    var out: [String] = []
    for change in UnifiedDiff.lineChanges(lines.bytes, ordered, oldLines: oldLines) {
      for index in change.a0..<change.a1 { out.append("-" + text(lines.bytes[oldLines[index]])) }
      for line in change.newLines { out.append("+" + text(change.new[line])) }
    }
    return out
  }

  /// A GitHub Actions workflow command, escaped as the runner requires.
  static func command(_ name: String, properties: [(String, String)], message: String) -> String {
    WorkflowCommand.format(name, properties: properties, message: message)
  }
}
