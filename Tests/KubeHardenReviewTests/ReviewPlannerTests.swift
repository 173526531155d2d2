import Foundation
import KubeHarden
import KubeHardenOutput
import XCTest

@testable import KubeHardenReview

/// The planner on its own: no network, no files.
final class ReviewPlannerTests: XCTestCase {
  let planner = ReviewPlanner(tool: ReportTool(version: "test"))

  func report(_ path: String, _ text: String) -> FileReport { Pipeline().process(path: path, bytes: Array(text.utf8)) }

  /// A patch whose one hunk shows every line of the file (an added file).
  func added(_ path: String, _ text: String) -> PullRequestFile {
    let count = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
    return PullRequestFile(filename: path, status: "added", patch: "@@ -0,0 +1,\(count) @@\n" + text.split(separator: "\n").map { "+\($0)" }.joined(separator: "\n"))
  }

  func testHunksAreRightSideLines() {
    XCTAssertEqual(PullRequestFile.rightHunks("@@ -1,3 +1,4 @@ kind\n a\n+b\n c\n d\n@@ -20 +21 @@\n-x\n+y"), [1...4, 21...21])
    XCTAssertEqual(PullRequestFile.rightHunks("@@ -5,2 +4,0 @@\n-a\n-b"), [], "a pure deletion has no RIGHT-side line")
    XCTAssertEqual(PullRequestFile(filename: "a", status: "modified", patch: nil).rightHunks, [])
  }

  func testNextLink() {
    let header = "<https://api.example/x?page=2>; rel=\"next\", <https://api.example/x?page=5>; rel=\"last\""
    XCTAssertEqual(GitHubClient.nextLink(header), "https://api.example/x?page=2")
    XCTAssertNil(GitHubClient.nextLink("<https://api.example/x?page=1>; rel=\"prev\""))
    XCTAssertNil(GitHubClient.nextLink(nil))
  }

  /// Only comments inside a hunk; the others' fixes go into the summary's patch.
  func testOnlyCommentsInsideAHunk() throws {
    let text = ReviewScenarioTests.twoDeployments(image: "api:1.1")
    let imageLine = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("api:1.1") }! + 1
    let file = PullRequestFile(filename: "api.yaml", status: "modified", patch: "@@ -\(imageLine - 3),7 +\(imageLine - 3),7 @@\n")
    let plan = planner.plan(reports: [report("api.yaml", text)], files: [file], existing: [], issueComments: [])
    XCTAssertFalse(plan.comments.isEmpty)
    for comment in plan.comments {
      XCTAssertTrue(((imageLine - 3)...(imageLine + 3)).contains(comment.startLine ?? comment.line), "\(comment)")
      XCTAssertTrue(((imageLine - 3)...(imageLine + 3)).contains(comment.line), "\(comment)")
    }
    XCTAssertGreaterThan(plan.outsideDiff, 0)
    XCTAssertTrue(plan.summary.contains("```diff\n--- a/api.yaml\n+++ b/api.yaml\n"), plan.summary)
    XCTAssertNil(plan.summaryID)
  }

  /// Fingerprints do not move with the lines: a shifted file plans the same fingerprints, and
  /// comments already there are neither posted again nor deleted.
  func testFingerprintsSurviveShiftedLines() throws {
    let text = ReviewScenarioTests.privileged
    let shifted = "# moved down\n# by two lines\n" + text
    let first = planner.plan(reports: [report("w.yaml", text)], files: [added("w.yaml", text)], existing: [], issueComments: [])
    let second = planner.plan(reports: [report("w.yaml", shifted)], files: [added("w.yaml", shifted)], existing: [], issueComments: [])
    XCTAssertEqual(first.comments.map(\.fingerprint), second.comments.map(\.fingerprint))
    XCTAssertEqual(first.comments.map { $0.line + 2 }, second.comments.map(\.line))

    let existing = first.comments.enumerated().map { index, comment in
      ExistingReviewComment(id: 100 + index, body: comment.body, path: "w.yaml", line: comment.line + 2, inReplyTo: nil)
    }
    let rerun = planner.plan(
      reports: [report("w.yaml", shifted)], files: [added("w.yaml", shifted)], existing: existing,
      issueComments: [ExistingIssueComment(id: 9, body: "old\n" + ReviewPlanner.summaryMarker)])
    XCTAssertEqual(rerun.comments, [])
    XCTAssertEqual(rerun.deletions, [])
    XCTAssertEqual(rerun.alreadyPosted, first.comments.count)
    XCTAssertEqual(rerun.summaryID, 9)
  }

  /// Outdated comments and comments whose fingerprint is gone are deleted, unless replied to;
  /// comments of people and of files not under review are never touched.
  func testDeletions() throws {
    let text = ReviewScenarioTests.deployment("web")
    let marker = "<!-- kubeharden:fp=0123456789abcdef -->"
    let existing = [
      ExistingReviewComment(id: 1, body: "gone\n" + marker, path: "w.yaml", line: 3, inReplyTo: nil),
      ExistingReviewComment(id: 2, body: "gone, replied\n" + marker, path: "w.yaml", line: 3, inReplyTo: nil),
      ExistingReviewComment(id: 3, body: "why?", path: "w.yaml", line: 3, inReplyTo: 2),
      ExistingReviewComment(id: 4, body: "a person's comment", path: "w.yaml", line: 3, inReplyTo: nil),
      ExistingReviewComment(id: 5, body: "other file\n" + marker, path: "other.yaml", line: 3, inReplyTo: nil),
    ]
    let plan = planner.plan(reports: [report("w.yaml", text)], files: [added("w.yaml", text)], existing: existing, issueComments: [])
    XCTAssertEqual(plan.deletions, [1])
    XCTAssertEqual(ReviewPlanner.fingerprint(in: existing[0].body), "0123456789abcdef")
    XCTAssertNil(ReviewPlanner.fingerprint(in: "no marker"))
  }

  func testAtMostThirtyComments() throws {
    let text = (1...33).map { ReviewScenarioTests.deployment("app\($0)") }.joined(separator: "---\n")
    let plan = planner.plan(reports: [report("m.yaml", text)], files: [added("m.yaml", text)], existing: [], issueComments: [])
    XCTAssertEqual(plan.comments.count, 30)
    XCTAssertGreaterThanOrEqual(plan.postponed, 3, "at least one suggestion per deployment")
    XCTAssertTrue(plan.summary.contains("\(plan.postponed) more comments on the changed lines are not in this review"), plan.summary)
  }

  func testContextFromTheEnvironment() throws {
    let event = #"{"pull_request": {"number": 12, "head": {"sha": "abc", "repo": {"full_name": "fork/app"}}, "base": {"sha": "def"}}, "repository": {"full_name": "octo/app"}}"#
    let environment = [
      "GITHUB_API_URL": "https://ghe.example/api/v3/", "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "octo/app",
      "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": "/event.json",
    ]
    let context = try PullRequestContext(environment: environment) { _ in Data(event.utf8) }
    XCTAssertEqual(context.apiURL, "https://ghe.example/api/v3")
    XCTAssertEqual(context.number, 12)
    XCTAssertEqual(context.headSHA, "abc")
    XCTAssertTrue(context.isFromFork)
    var broken = environment
    broken["GITHUB_API_URL"] = "ftp://x"
    XCTAssertThrowsError(try PullRequestContext(environment: broken) { _ in Data(event.utf8) }) { error in
      XCTAssertTrue("\(error)".contains("GITHUB_API_URL is not an http(s) URL"), "\(error)")
    }
    XCTAssertThrowsError(try PullRequestContext(environment: environment) { _ in Data("{}".utf8) }) { error in
      XCTAssertTrue("\(error)".contains("not a pull_request event payload"), "\(error)")
    }
  }
}
