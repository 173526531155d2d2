import ArgumentParser
import Foundation
import KubeHarden
import KubeHardenOutput
import KubeHardenReview

/// `kubeharden review`: posts the fixes as suggestions on a GitHub pull request.
struct Review: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Review a GitHub pull request: suggested changes on the changed lines, one summary comment.",
    discussion: """
      Runs in a GitHub Actions job on a pull_request event: reads GITHUB_API_URL, GITHUB_TOKEN, \
      GITHUB_REPOSITORY, GITHUB_EVENT_NAME and GITHUB_EVENT_PATH, with the pull request's head checked \
      out in the working directory. Without PATH it reviews the pull request's changed manifests.
      Posts one review with the suggestions not already there (at most 30), deletes its own outdated \
      comments (not those with replies), and keeps one summary comment up to date: counts, the fixes \
      outside the diff as a patch for git apply, unsafe fixes, files skipped. A token that may not \
      write (pull requests from forks) gives workflow annotations instead.
      Exit 0 posted or nothing to post (files that could not be processed are listed in the summary \
      and on standard error), 1 GitHub refused a request, 2 bad environment, event or paths.
      """)

  @OptionGroup var options: CommonOptions

  @Flag(help: "Read the pull request but print the requests that would change it instead of sending them.")
  var dryRun = false

  func validate() throws { try options.validateFlags() }

  func run() throws {
    let environment = ProcessInfo.processInfo.environment
    let context: PullRequestContext
    do {
      context = try PullRequestContext(environment: environment)
    } catch {
      CLI.writeStderr("kubeharden review: error: \(error.message)\n")
      throw ExitCode(2)
    }
    var paths: [String]?
    if !options.paths.isEmpty {
      guard !options.paths.contains("-") else {
        CLI.writeStderr("kubeharden review: error: '-' (standard input) cannot be reviewed: name files of the checkout\n")
        throw ExitCode(2)
      }
      var errors: [(String, String)] = []
      var leftovers: [String] = []
      let inputs = InputCollector.collect(options.paths, errors: &errors, leftovers: &leftovers)
      for (path, message) in errors { CLI.writeStderr("\(path):1:1: error: \(message)\n") }
      guard errors.isEmpty else { throw ExitCode(2) }
      paths = inputs.map { Self.repositoryPath($0.path) }
    }
    let client = GitHubClient(apiURL: context.apiURL, token: context.token, dryRun: dryRun) { CLI.writeStdout($0) }
    let session = ReviewSession(
      context: context, client: client, planner: ReviewPlanner(tool: CLI.reportTool), output: { CLI.writeStdout($0) },
      stepSummaryPath: environment["GITHUB_STEP_SUMMARY"])
    let runner = Runner(options: options)
    var processed: [FileReport] = []
    do {
      let (outcome, plan) = try session.run(paths: paths) { paths in
        processed = runner.run(inputs: paths.map { Input(path: $0, isStdin: false) }, readStdin: { [] })
        return processed
      }
      CLI.printErrors(processed)
      switch outcome {
      case .posted(let comments, let deleted, let created):
        CLI.writeStderr(
          "kubeharden review: \(dryRun ? "would post" : "posted") \(comments) new comment\(comments == 1 ? "" : "s") "
            + "(\(plan.alreadyPosted) already there, \(plan.postponed) for the next run, \(plan.outsideDiff) fixes outside the diff "
            + "in the summary), deleted \(deleted) outdated, summary \(created ? "created" : "updated")\n")
      case .annotations(let reason):
        CLI.writeStderr("kubeharden review: \(reason): the findings are workflow annotations instead\n")
      }
    } catch {
      CLI.printErrors(processed)
      CLI.writeStderr("kubeharden review: error: \(error)\n")
      throw ExitCode(1)
    }
  }

  /// A path as GitHub names it: relative to the working directory (the checkout's root), no `./`.
  static func repositoryPath(_ path: String) -> String {
    var path = path.hasPrefix("/") ? URL(fileURLWithPath: path).standardizedFileURL.path : path
    let cwd = FileManager.default.currentDirectoryPath
    if path.hasPrefix("/"), path.hasPrefix(cwd + "/") { path.removeFirst(cwd.count + 1) }
    while path.hasPrefix("./") { path.removeFirst(2) }
    return path
  }
}
