import Foundation
import KubeHarden
import KubeHardenOutput

/// One `kubeharden review` run: reads the pull request's files and the comments on it, plans
/// with `ReviewPlanner`, and sends the plan with `GitHubClient`.
///
/// Requests, in order: `GET /repos/{o}/{r}/pulls/{n}/files` (unless paths are given),
/// `GET .../pulls/{n}/comments`, `GET .../issues/{n}/comments`, then `POST .../pulls/{n}/reviews`
/// (`event: COMMENT`, `commit_id` the head) when there is something new
/// (docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request),
/// `DELETE .../pulls/comments/{id}` for each outdated comment
/// (docs.github.com/en/rest/pulls/comments#delete-a-review-comment-for-a-pull-request), and
/// `POST .../issues/{n}/comments` or `PATCH .../issues/comments/{id}` for the summary
/// (docs.github.com/en/rest/issues/comments). A token that may not write (pull requests from
/// forks get a read-only `GITHUB_TOKEN`: 403 "Resource not accessible by integration") makes
/// the run fall back to workflow annotations.
public struct ReviewSession {
  public var context: PullRequestContext
  public var client: GitHubClient
  public var planner: ReviewPlanner
  /// Standard output: annotations.
  public var output: (String) -> Void
  /// The step summary file (`GITHUB_STEP_SUMMARY`), written when the run falls back to annotations.
  public var stepSummaryPath: String?

  public init(
    context: PullRequestContext, client: GitHubClient, planner: ReviewPlanner, output: @escaping (String) -> Void,
    stepSummaryPath: String? = nil
  ) {
    self.context = context
    self.client = client
    self.planner = planner
    self.output = output
    self.stepSummaryPath = stepSummaryPath
  }

  /// How the run ended.
  public enum Outcome: Sendable {
    /// The review (if anything was new), the deletions and the summary were sent.
    case posted(comments: Int, deleted: Int, summaryCreated: Bool)
    /// The token may not write: the findings went out as annotations.
    case annotations(reason: String)
  }

  /// The pull request's changed manifests (`*.yaml`, `*.yml`, `*.json`, not removed ones).
  public static func manifestFiles(_ files: [PullRequestFile]) -> [String] {
    files.filter { file in
      let lower = file.filename.lowercased()
      return file.status != "removed" && (lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json"))
    }.map(\.filename)
  }

  /// Runs the review: `paths` nil reviews the pull request's changed manifests; `reports`
  /// processes the paths it is given (relative to the repository root).
  public func run(paths: [String]?, reports: ([String]) -> [FileReport]) throws(GitHubClient.APIError) -> (Outcome, ReviewPlanner.Plan) {
    let base = "/repos/\(context.repository)"
    let number = context.number
    let files = try client.list("\(base)/pulls/\(number)/files").map { item in
      PullRequestFile(
        filename: item["filename"] as? String ?? "", status: item["status"] as? String ?? "", patch: item["patch"] as? String)
    }
    let reviewed = reports(paths ?? Self.manifestFiles(files))
    let existing = try client.list("\(base)/pulls/\(number)/comments").compactMap { item -> ExistingReviewComment? in
      guard let id = item["id"] as? Int else { return nil }
      return ExistingReviewComment(
        id: id, body: item["body"] as? String ?? "", path: item["path"] as? String ?? "", line: item["line"] as? Int,
        inReplyTo: item["in_reply_to_id"] as? Int)
    }
    let issueComments = try client.list("\(base)/issues/\(number)/comments").compactMap { item -> ExistingIssueComment? in
      guard let id = item["id"] as? Int else { return nil }
      return ExistingIssueComment(id: id, body: item["body"] as? String ?? "")
    }
    let plan = planner.plan(reports: reviewed, files: files, existing: existing, issueComments: issueComments)
    guard context.token != nil || client.dryRun else {
      return (annotate(plan, reason: "no GITHUB_TOKEN"), plan)
    }
    do {
      if !plan.comments.isEmpty {
        let comments: [[String: Any]] = plan.comments.map { comment in
          var object: [String: Any] = ["path": comment.path, "line": comment.line, "side": "RIGHT", "body": comment.body]
          if let start = comment.startLine {
            object["start_line"] = start
            object["start_side"] = "RIGHT"
          }
          return object
        }
        try client.post(
          "\(base)/pulls/\(number)/reviews",
          ["commit_id": context.headSHA, "event": "COMMENT", "body": reviewBody(plan), "comments": comments])
      }
      for id in plan.deletions { try client.delete("\(base)/pulls/comments/\(id)") }
      if let id = plan.summaryID {
        try client.patch("\(base)/issues/comments/\(id)", ["body": plan.summary])
      } else {
        try client.post("\(base)/issues/\(number)/comments", ["body": plan.summary])
      }
    } catch where error.status == 403 {
      return (annotate(plan, reason: "the token may not write to the pull request (\(error.message))"), plan)
    }
    return (.posted(comments: plan.comments.count, deleted: plan.deletions.count, summaryCreated: plan.summaryID == nil), plan)
  }

  func reviewBody(_ plan: ReviewPlanner.Plan) -> String {
    var body = "**\(planner.tool.name)**: \(plan.comments.count) new comment\(plan.comments.count == 1 ? "" : "s") on the changed lines."
    if plan.postponed > 0 { body += " \(plan.postponed) more in the next review (at most \(planner.maxComments) per review)." }
    return body + " The summary comment of this pull request has the counts and the fixes outside the diff."
  }

  /// Every planned comment as a workflow annotation, within GitHub's limits, and the summary
  /// in the step summary.
  func annotate(_ plan: ReviewPlanner.Plan, reason: String) -> Outcome {
    var annotations = WorkflowCommand.Annotations()
    var plain: [String] = []
    for item in plan.annotations {
      let properties = [("file", item.path), ("line", "\(item.line)"), ("endLine", "\(item.endLine)"), ("title", item.title)]
      if let command = annotations.command("warning", properties: properties, message: item.message) {
        output(command + "\n")
      } else {
        plain.append("\(item.path):\(item.line): \(item.title): \(item.message)")
      }
    }
    if let summary = annotations.droppedSummary(tool: planner.tool.name) {
      output(summary + "\n")
      for line in plain { output(line + "\n") }
    }
    if let path = stepSummaryPath, let handle = FileHandle(forWritingAtPath: path) {
      handle.seekToEndOfFile()
      handle.write(Data((plan.summary + "\n").utf8))
      try? handle.close()
    }
    return .annotations(reason: reason)
  }
}
