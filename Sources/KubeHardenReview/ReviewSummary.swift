import KubeHarden
import KubeHardenOutput
import YAMLSource

extension ReviewPlanner {
  /// GitHub refuses a comment body over 65,536 characters
  /// (docs.github.com/en/rest/issues/comments#create-an-issue-comment answers 422 "body is too
  /// long"); the summary keeps well below that and says what it left out.
  static let summaryBudget = 60_000

  /// The summary comment: counts by pass and applicability, the suggestions, the fixes outside
  /// the diff as a patch `git apply` takes, the unsafe fixes marked as such, and the files
  /// skipped with the reason.
  func summary(
    reports: [FileReport], plan: Plan, outsideEdits: [Int: [Edit]], unsafeFixes: [(report: Int, finding: Finding)],
    skipped: [(path: String, reason: String)], manualOutside: [(path: String, finding: Finding)]
  ) -> String {
    var body = Self.summaryMarker + "\n"
    var byPass: [String: [Applicability: Int]] = [:]
    var exempted = 0
    for finding in reports.flatMap(\.findings) {
      guard let applicability = finding.applicability else {
        exempted += 1
        continue
      }
      byPass[finding.passID, default: [:]][applicability, default: 0] += 1
    }
    let total = byPass.values.flatMap(\.values).reduce(0, +)
    let processed = reports.filter { $0.error == nil }.count
    body += "**\(tool.name)** reviewed \(plural(processed, "file")): \(plural(total, "finding"))"
    body += exempted > 0 ? " (and \(exempted) exempted).\n" : ".\n"
    if total > 0 {
      body += "\n| pass | safe fix | unsafe fix | manual |\n| --- | --- | --- | --- |\n"
      for pass in byPass.keys.sorted() {
        let counts = byPass[pass] ?? [:]
        body += "| [`\(pass)`](\(tool.ruleURL(pass))) | \(counts[.safe] ?? 0) | \(counts[.unsafe] ?? 0) | \(counts[.manual] ?? 0) |\n"
      }
    }
    let onPullRequest = plan.comments.count + plan.alreadyPosted
    if onPullRequest > 0 || plan.postponed > 0 {
      body += "\nComments on the changed lines: \(plan.comments.count) new in this review, \(plan.alreadyPosted) already there."
      body += " Committing every suggestion gives the lines `\(tool.name) fix` writes.\n"
    }
    if plan.postponed > 0 {
      body +=
        "\n\(plural(plan.postponed, "more comment")) on the changed lines \(plan.postponed == 1 ? "is" : "are") not in this review "
        + "(at most \(maxComments) per review): \(plan.postponed == 1 ? "its fix is" : "their fixes are") in the patch below, "
        + "and the next run posts \(plan.postponed == 1 ? "it" : "them").\n"
    }

    var budget = Self.summaryBudget - body.utf8.count - 4_000  // room for the lists below
    let outside = patch(reports: reports, edits: outsideEdits, budget: &budget)
    if !outside.text.isEmpty {
      let count = plan.outsideDiff + plan.postponed
      body += "\n<details><summary>\(plural(count, "fix", plural: "fixes")) not on the changed lines, in "
      body += "\(plural(outside.files, "file")): a patch of the head for <code>git apply</code></summary>\n\n"
      body += fenced(outside.text, info: "diff") + "\n</details>\n"
    }
    if outside.omitted > 0 {
      body += "\n\(plural(outside.omitted, "file")) more with fixes outside the changed lines: run `\(tool.name) diff` on them.\n"
    }

    if !unsafeFixes.isEmpty {
      body += "\n**Unsafe fixes**, not suggested (they change what a working workload does; `\(tool.name) fix` applies them "
      body += "only with `--unsafe-fixes`):\n\n"
      for (report, finding) in unsafeFixes.prefix(50) {
        let path = GitHubReviewPaths.normalized(reports[report].path)
        body += "- ⚠️ **unsafe** `\(path)` line \(finding.start.line): \(finding.fix?.title ?? "") (`\(finding.passID)`: \(finding.message))\n"
      }
      if unsafeFixes.count > 50 { body += "- and \(unsafeFixes.count - 50) more\n" }
      var unsafeEdits: [Int: [Edit]] = [:]
      for (report, finding) in unsafeFixes { unsafeEdits[report, default: []] += finding.fix?.edits ?? [] }
      let unsafe = patch(reports: reports, edits: unsafeEdits, budget: &budget)
      if !unsafe.text.isEmpty {
        body += "\n<details><summary>⚠️ The unsafe fixes as a patch of the head (review before applying)</summary>\n\n"
        body += fenced(unsafe.text, info: "diff") + "\n</details>\n"
      }
    }
    if !manualOutside.isEmpty {
      body += "\nFindings without an automatic fix, outside the changed lines:\n\n"
      for (path, finding) in manualOutside.prefix(30) {
        body += "- `\(path)` line \(finding.start.line): \(finding.message) (`\(finding.passID)`\(finding.status.reason.map { ": \($0)" } ?? ""))\n"
      }
      if manualOutside.count > 30 { body += "- and \(manualOutside.count - 30) more\n" }
    }
    if !skipped.isEmpty {
      body += "\nFiles skipped:\n\n"
      for (path, reason) in skipped.prefix(50) { body += "- `\(path)`: \(reason)\n" }
      if skipped.count > 50 { body += "- and \(skipped.count - 50) more\n" }
    }
    return body
  }

  /// One patch over the files of `edits`, whole files only, while it fits `budget` characters.
  func patch(reports: [FileReport], edits: [Int: [Edit]], budget: inout Int) -> (text: String, files: Int, omitted: Int) {
    var text = ""
    var files = 0
    var omitted = 0
    for index in edits.keys.sorted(by: { reports[$0].path < reports[$1].path }) {
      let report = reports[index]
      let unique = Array(Set(edits[index] ?? []))
      let diff = UnifiedDiff.render(path: GitHubReviewPaths.normalized(report.path), original: report.original, edits: unique)
      guard !diff.isEmpty else { continue }
      if diff.utf8.count > budget {
        omitted += 1
        continue
      }
      budget -= diff.utf8.count
      text += diff
      files += 1
    }
    return (text, files, omitted)
  }

  /// `text` in a fenced code block whose fence is longer than any run of backticks in it.
  func fenced(_ text: String, info: String) -> String {
    var longest = 0
    var run = 0
    for scalar in text.unicodeScalars {
      run = scalar == "`" ? run + 1 : 0
      longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: max(3, longest + 1))
    return fence + info + "\n" + text + (text.hasSuffix("\n") ? "" : "\n") + fence + "\n"
  }

  func plural(_ count: Int, _ word: String, plural: String? = nil) -> String {
    "\(count) \(count == 1 ? word : plural ?? word + "s")"
  }
}
