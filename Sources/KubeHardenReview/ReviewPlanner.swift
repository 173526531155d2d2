import KubeHarden
import KubeHardenOutput
import YAMLSource

/// Turns the reports of the files under review, the pull request's hunks and the comments
/// already on it into what to send: one review with the new comments, the outdated comments to
/// delete, and the summary comment. Pure: no network, no files.
///
/// - A comment goes into the review only when all its lines are RIGHT-side lines of one hunk of
///   the file's patch (GitHub refuses the whole review with 422 when one comment is outside the
///   diff, docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request). A pure
///   insertion is anchored on the line before it, which its suggestion repeats (`GitHubReview`).
/// - Every comment ends with a hidden marker holding a fingerprint of what it says: the file,
///   the findings (pass and message), the lines it replaces and its suggestion, and which
///   occurrence of that text in the file it is. No line numbers: a push that only shifts lines
///   leaves it the same, so a comment GitHub keeps current is neither deleted nor posted again.
/// - A fingerprint already on a current (not outdated) comment is not posted again. At most
///   `maxComments` new comments per review (reviewdog's limit against GitHub's abuse detection);
///   the others are counted in the summary and their fixes go into its patch.
/// - The bot's comments (those with a marker) on the files under review whose fingerprint is no
///   longer produced, or that GitHub marks outdated, are deleted, except those a person replied to.
/// - Fixes outside the diff are not dropped: the summary carries them as a `kubeharden diff`
///   patch of the head files that `git apply` takes. CRLF files get no suggestions (a
///   suggestion cannot carry a carriage return) and files that could not be processed none at
///   all: the summary lists both, with the reason.
public struct ReviewPlanner: Sendable {
  public var tool: ReportTool
  public var maxComments: Int

  public static let summaryMarker = "<!-- kubeharden:summary -->"
  static let markerPrefix = "<!-- kubeharden:fp="

  public init(tool: ReportTool, maxComments: Int = 30) {
    self.tool = tool
    self.maxComments = maxComments
  }

  /// One comment to post in the review.
  public struct NewComment: Sendable, Hashable {
    public var path: String
    public var line: Int
    public var startLine: Int?
    public var body: String
    public var fingerprint: String
  }

  /// A workflow annotation, for a token that cannot write (pull requests from forks).
  public struct Annotation: Sendable, Hashable {
    public var path: String
    public var line: Int
    public var endLine: Int
    public var title: String
    public var message: String
  }

  /// What to send.
  public struct Plan: Sendable {
    /// The new comments of the one review to post (none: post no review).
    public var comments: [NewComment] = []
    /// Review comments of the bot to delete.
    public var deletions: [Int] = []
    /// The summary comment's body, and the id of the summary to edit (nil: create it).
    public var summary = ""
    public var summaryID: Int?
    /// Every finding's comment, in the diff or not, for the fallback to annotations.
    public var annotations: [Annotation] = []
    /// Counts for the log line.
    public var alreadyPosted = 0
    public var postponed = 0
    public var outsideDiff = 0
  }

  /// The fingerprint in a comment body's marker, nil when it has none (not the bot's).
  public static func fingerprint(in body: String) -> String? {
    guard let start = body.range(of: markerPrefix) else { return nil }
    let rest = body[start.upperBound...]
    guard let end = rest.range(of: " -->") else { return nil }
    return String(rest[..<end.lowerBound])
  }

  public func plan(
    reports: [FileReport], files: [PullRequestFile], existing: [ExistingReviewComment], issueComments: [ExistingIssueComment]
  ) -> Plan {
    var plan = Plan()
    let hunksByPath = Dictionary(files.map { ($0.filename, $0.rightHunks) }, uniquingKeysWith: { a, _ in a })
    var candidates: [(comment: NewComment, edits: [Edit], report: Int)] = []
    var outsideEdits: [Int: [Edit]] = [:]  // by report index
    var unsafeFixes: [(report: Int, finding: Finding)] = []
    var skipped: [(path: String, reason: String)] = []
    var manualOutside: [(path: String, finding: Finding)] = []

    for (index, report) in reports.enumerated() {
      let path = GitHubReviewPaths.normalized(report.path)
      if let error = report.error {
        skipped.append((path, "line \(error.line), column \(error.column): \(error.message)"))
        continue
      }
      for finding in report.findings where finding.fix?.applicability == .unsafe && finding.status.isFixable {
        if let fix = finding.fix, !fix.edits.allSatisfy(report.edits.contains) { unsafeFixes.append((index, finding)) }
      }
      let comments = GitHubReview.comments(report, tool: tool, includeExempted: false)
      if comments.contains(where: \.crlf) {
        skipped.append((path, "CRLF line breaks, which suggestions cannot carry: run `\(tool.name) fix` on it"))
        for comment in comments { plan.annotations.append(annotation(comment)) }
        continue
      }
      let hunks = hunksByPath[path] ?? []
      var occurrences: [String: Int] = [:]
      for comment in comments {
        plan.annotations.append(annotation(comment))
        let first = comment.comment.startLine ?? comment.comment.line
        let inDiff = hunks.contains { $0.contains(first) && $0.contains(comment.comment.line) }
        guard inDiff else {
          if comment.isSuggestion {
            outsideEdits[index, default: []] += comment.edits
            plan.outsideDiff += 1
          } else {
            manualOutside += comment.findings.map { (path, $0) }
          }
          continue
        }
        let key = fingerprintKey(comment, lines: ReportLinesView(report.original))
        let occurrence = occurrences[key, default: 0]
        occurrences[key] = occurrence + 1
        let fingerprint = Self.hash(key) + (occurrence > 0 ? "-\(occurrence)" : "")
        let body = comment.comment.body + "\n\(Self.markerPrefix)\(fingerprint) -->\n"
        candidates.append(
          (NewComment(path: path, line: comment.comment.line, startLine: comment.comment.startLine, body: body, fingerprint: fingerprint), comment.edits, index))
      }
    }

    // What is on the pull request already.
    let repliedTo = Set(existing.compactMap(\.inReplyTo))
    let current = Set(existing.filter { $0.line != nil }.compactMap { Self.fingerprint(in: $0.body) })
    let produced = Set(candidates.map(\.comment.fingerprint))
    let reviewedPaths = Set(reports.map { GitHubReviewPaths.normalized($0.path) })
    for comment in existing where comment.inReplyTo == nil && reviewedPaths.contains(comment.path) {
      guard let fingerprint = Self.fingerprint(in: comment.body), !repliedTo.contains(comment.id) else { continue }
      if !produced.contains(fingerprint) || comment.line == nil { plan.deletions.append(comment.id) }
    }
    for candidate in candidates {
      if current.contains(candidate.comment.fingerprint) {
        plan.alreadyPosted += 1
      } else if plan.comments.count < maxComments {
        plan.comments.append(candidate.comment)
      } else {
        plan.postponed += 1
        outsideEdits[candidate.report, default: []] += candidate.edits
      }
    }

    plan.summaryID = issueComments.first { $0.body.contains(Self.summaryMarker) }?.id
    plan.summary = summary(
      reports: reports, plan: plan, outsideEdits: outsideEdits, unsafeFixes: unsafeFixes, skipped: skipped,
      manualOutside: manualOutside)
    return plan
  }

  // MARK: Fingerprints

  /// What a comment says, without line numbers.
  func fingerprintKey(_ comment: GitHubReview.FileComment, lines: ReportLinesView) -> String {
    var key = comment.comment.path + "\u{0}"
    for finding in comment.findings.sorted(by: { ($0.passID, $0.message) < ($1.passID, $1.message) }) {
      key += finding.passID + "\t" + finding.message + "\n"
    }
    key += "\u{0}" + lines.text(comment.comment.startLine ?? comment.comment.line, comment.comment.line)
    key += "\u{0}" + comment.edits.map { "\($0.range.count):" + $0.text }.joined(separator: "\u{1}")
    return key
  }

  /// FNV-1a, 64 bits, as 16 hex digits: stable across runs and platforms (Swift's `hashValue`
  /// is seeded per process).
  static func hash(_ text: String) -> String {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      value ^= UInt64(byte)
      value = value &* 0x100_0000_01b3
    }
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }

  func annotation(_ comment: GitHubReview.FileComment) -> Annotation {
    let passes = Set(comment.findings.map(\.passID)).sorted().joined(separator: ", ")
    var message = comment.findings.map(\.message).joined(separator: "; ")
    if let fix = comment.findings.compactMap(\.fix).first, comment.isSuggestion { message += " (fix: \(fix.title))" }
    return Annotation(
      path: comment.comment.path, line: comment.comment.startLine ?? comment.comment.line, endLine: comment.comment.line,
      title: "\(tool.name): \(passes)", message: message)
  }
}

/// Paths as GitHub names them: relative to the repository root, without a leading `./`.
enum GitHubReviewPaths {
  static func normalized(_ path: String) -> String {
    var path = Substring(path)
    while path.hasPrefix("./") { path = path.dropFirst(2) }
    return String(path)
  }
}

/// The original text of whole lines, for fingerprints.
struct ReportLinesView {
  let bytes: [UInt8]
  let table: LineTable
  init(_ bytes: [UInt8]) {
    self.bytes = bytes
    self.table = LineTable(SourceBuffer(bytes))
  }

  /// Lines `first...last` (1-based), without the final line break.
  func text(_ first: Int, _ last: Int) -> String {
    guard first >= 1, last >= first, last <= table.lineCount else { return "" }
    let start = table.range(ofLine: first).lowerBound
    let end = table.range(ofLine: last).upperBound
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }
}
