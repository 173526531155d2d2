import Foundation

/// The pull request a `kubeharden review` run is about, read from the environment GitHub Actions
/// sets for a job (`GITHUB_API_URL`, `GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_EVENT_NAME`,
/// `GITHUB_EVENT_PATH`; docs.github.com/en/actions/reference/variables-reference) and the event
/// payload `GITHUB_EVENT_PATH` names (docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request).
public struct PullRequestContext: Sendable, Hashable {
  /// The REST API root, `https://api.github.com` on github.com (never assumed: GitHub
  /// Enterprise Server has its own).
  public var apiURL: String
  public var token: String?
  /// `owner/name` of the repository the pull request is in (the base repository).
  public var repository: String
  public var number: Int
  public var headSHA: String
  public var baseSHA: String?
  /// `owner/name` of the head repository: another one for a pull request from a fork.
  public var headRepository: String?

  public init(
    apiURL: String, token: String?, repository: String, number: Int, headSHA: String, baseSHA: String? = nil,
    headRepository: String? = nil
  ) {
    self.apiURL = apiURL
    self.token = token
    self.repository = repository
    self.number = number
    self.headSHA = headSHA
    self.baseSHA = baseSHA
    self.headRepository = headRepository
  }

  /// Whether the pull request comes from a fork (its token is read-only then).
  public var isFromFork: Bool { headRepository.map { $0 != repository } ?? false }

  /// Reads the context from `environment`; the message of the error names what is missing.
  public init(environment: [String: String], readFile: (String) -> Data? = { FileManager.default.contents(atPath: $0) })
    throws(ReviewInputError)
  {
    func required(_ name: String) throws(ReviewInputError) -> String {
      guard let value = environment[name], !value.isEmpty else {
        throw ReviewInputError("\(name) is not set: run kubeharden review in a GitHub Actions job on a pull_request event")
      }
      return value
    }
    let event = try required("GITHUB_EVENT_NAME")
    guard event == "pull_request" || event == "pull_request_target" else {
      throw ReviewInputError("GITHUB_EVENT_NAME is '\(event)': kubeharden review reviews pull requests (pull_request, pull_request_target)")
    }
    let eventPath = try required("GITHUB_EVENT_PATH")
    guard let data = readFile(eventPath) else { throw ReviewInputError("GITHUB_EVENT_PATH: cannot read '\(eventPath)'") }
    guard let payload = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let pull = payload["pull_request"] as? [String: Any]
    else { throw ReviewInputError("\(eventPath): not a pull_request event payload (no pull_request object)") }
    guard let number = pull["number"] as? Int, number > 0 else {
      throw ReviewInputError("\(eventPath): pull_request.number is missing")
    }
    guard let head = pull["head"] as? [String: Any], let sha = head["sha"] as? String, !sha.isEmpty else {
      throw ReviewInputError("\(eventPath): pull_request.head.sha is missing")
    }
    let repository =
      environment["GITHUB_REPOSITORY"].flatMap { $0.isEmpty ? nil : $0 }
      ?? ((payload["repository"] as? [String: Any])?["full_name"] as? String)
    guard let repository, repository.split(separator: "/").count == 2 else {
      throw ReviewInputError("GITHUB_REPOSITORY is not set to owner/name (nor repository.full_name in the event)")
    }
    let api = try required("GITHUB_API_URL")
    guard let url = URL(string: api), url.scheme == "https" || url.scheme == "http", url.host != nil else {
      throw ReviewInputError("GITHUB_API_URL is not an http(s) URL: '\(api)'")
    }
    self.init(
      apiURL: api.hasSuffix("/") ? String(api.dropLast()) : api,
      token: environment["GITHUB_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }, repository: repository, number: number,
      headSHA: sha, baseSHA: (pull["base"] as? [String: Any])?["sha"] as? String,
      headRepository: ((head["repo"] as? [String: Any])?["full_name"] as? String))
  }
}

/// A problem with what `kubeharden review` was given (environment, event, paths): exit 2.
public struct ReviewInputError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// One file of `GET /repos/{owner}/{repo}/pulls/{pull_number}/files`
/// (docs.github.com/en/rest/pulls/pulls#list-pull-requests-files): its name, status and patch.
public struct PullRequestFile: Sendable, Hashable {
  public var filename: String
  /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed`, `unchanged`.
  public var status: String
  /// The file's hunks (no `---`/`+++` header); absent for binary files and diffs GitHub finds
  /// too large to show.
  public var patch: String?

  public init(filename: String, status: String, patch: String?) {
    self.filename = filename
    self.status = status
    self.patch = patch
  }

  /// The lines of the new file (RIGHT side) each hunk of `patch` shows, context lines included:
  /// the lines a review comment may be on. A multi-line comment must start and end in the same
  /// hunk (docs.github.com/en/rest/pulls/comments#create-a-review-comment-for-a-pull-request:
  /// `start_line` and `line` "must be part of the same hunk").
  public var rightHunks: [ClosedRange<Int>] { Self.rightHunks(patch ?? "") }

  static func rightHunks(_ patch: String) -> [ClosedRange<Int>] {
    var hunks: [ClosedRange<Int>] = []
    for line in patch.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix("@@ ") {
      // @@ -a[,b] +c[,d] @@ section
      let fields = line.split(separator: " ")
      guard fields.count >= 3, fields[2].hasPrefix("+") else { continue }
      let numbers = fields[2].dropFirst().split(separator: ",", omittingEmptySubsequences: false)
      guard let start = Int(numbers[0]) else { continue }
      let count = numbers.count > 1 ? Int(numbers[1]) ?? 0 : 1
      if count > 0 && start > 0 { hunks.append(start...(start + count - 1)) }
    }
    return hunks
  }
}

/// A review comment already on the pull request (`GET /repos/{owner}/{repo}/pulls/{pull_number}/comments`,
/// docs.github.com/en/rest/pulls/comments#list-review-comments-on-a-pull-request).
public struct ExistingReviewComment: Sendable, Hashable {
  public var id: Int
  public var body: String
  public var path: String
  /// The comment's line in the pull request's current diff; nil once GitHub marks it outdated
  /// (the lines it was on changed).
  public var line: Int?
  /// The comment it answers, for a reply.
  public var inReplyTo: Int?

  public init(id: Int, body: String, path: String, line: Int?, inReplyTo: Int?) {
    self.id = id
    self.body = body
    self.path = path
    self.line = line
    self.inReplyTo = inReplyTo
  }
}

/// A comment on the pull request's conversation (`GET /repos/{owner}/{repo}/issues/{issue_number}/comments`,
/// docs.github.com/en/rest/issues/comments#list-issue-comments).
public struct ExistingIssueComment: Sendable, Hashable {
  public var id: Int
  public var body: String
  public init(id: Int, body: String) {
    self.id = id
    self.body = body
  }
}
