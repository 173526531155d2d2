import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A GitHub API test double: an HTTP/1.1 server on 127.0.0.1 (a port the system picks) that
/// answers the pull-request endpoints `kubeharden review` uses the way GitHub does, from state
/// the test sets up and reads back.
///
/// - Lists are paginated: `per_page` is capped at `pageSize` and a `Link` header names the
///   `next` and `last` pages, as GitHub's does.
/// - A review is refused as a whole with 422 when one comment is not on a RIGHT-side line of one
///   hunk of its file's patch, or `commit_id` is not the head; the refusals are counted.
/// - With `readOnly` (the token of a pull request from a fork) every write answers 403
///   "Resource not accessible by integration".
/// - A request without the token answers 401.
///
/// It serves one connection at a time (`Connection: close`), and stops by itself after
/// `lifetime` seconds even if the test never calls `stop()`.
final class GitHubDouble: @unchecked Sendable {
  let repository = "octo/app"
  let number = 7
  let token = "test-token"
  var headSHA = "1111111111111111111111111111111111111111"

  private let lock = NSLock()
  private var listener: Int32 = -1
  private(set) var port: UInt16 = 0
  private var stopped = false
  private let finished = DispatchSemaphore(value: 0)

  // State, read and written under `lock` through `with`.
  struct State {
    var files: [[String: Any]] = []
    var reviewComments: [[String: Any]] = []
    var issueComments: [[String: Any]] = []
    var reviews: [[String: Any]] = []
    var requests: [String] = []
    var refused422 = 0
    var refused403 = 0
    var readOnly = false
    var pageSize = 2
    var nextID = 1000
  }
  private var state = State()

  func with<T>(_ body: (inout State) -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body(&state)
  }

  var apiURL: String { "http://127.0.0.1:\(port)" }

  init(lifetime: TimeInterval = 120) throws {
    listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw POSIXError(.EIO) }
    var yes: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(listener, 16) == 0 else {
      close(listener)
      throw POSIXError(.EADDRINUSE)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    port = UInt16(bigEndian: address.sin_port)
    let deadline = Date().addingTimeInterval(lifetime)
    let thread = Thread { [self] in
      serve(until: deadline)
      finished.signal()
    }
    thread.start()
  }

  func stop() {
    lock.lock()
    let wasStopped = stopped
    stopped = true
    lock.unlock()
    if !wasStopped { finished.wait() }
  }

  deinit { stop() }

  // MARK: Serving

  private func serve(until deadline: Date) {
    defer { close(listener) }
    while Date() < deadline {
      if with({ _ in stopped }) { return }
      var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
      guard poll(&poller, 1, 100) > 0 else { continue }
      let connection = accept(listener, nil, nil)
      guard connection >= 0 else { continue }
      handle(connection)
      close(connection)
    }
  }

  private func handle(_ connection: Int32) {
    var buffer: [UInt8] = []
    var headerEnd: Int?
    let readDeadline = Date().addingTimeInterval(10)
    func readMore() -> Bool {
      var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
      guard Date() < readDeadline, poll(&poller, 1, 1000) > 0 else { return false }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let count = read(connection, &chunk, chunk.count)
      guard count > 0 else { return false }
      buffer += chunk[0..<count]
      return true
    }
    while headerEnd == nil {
      guard readMore() else { return }
      headerEnd = Self.find([13, 10, 13, 10], in: buffer)
    }
    guard let end = headerEnd else { return }
    let head = String(decoding: buffer[0..<end], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let requestLine = lines.removeFirst().split(separator: " ")
    guard requestLine.count >= 2 else { return }
    var headers: [String: String] = [:]
    for line in lines {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let length = Int(headers["content-length"] ?? "0") ?? 0
    if headers["expect"]?.lowercased() == "100-continue" { send(connection, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
    while buffer.count - (end + 4) < length {
      guard readMore() else { return }
    }
    let body = Data(buffer[(end + 4)..<(end + 4 + length)])
    let (status, json, extra) = respond(
      method: String(requestLine[0]), target: String(requestLine[1]), authorization: headers["authorization"], body: body)
    let payload = json.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? Data()
    var response = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: application/json; charset=utf-8\r\n"
    response += "Content-Length: \(payload.count)\r\nConnection: close\r\n"
    for (name, value) in extra { response += "\(name): \(value)\r\n" }
    send(connection, Array((response + "\r\n").utf8) + [UInt8](payload))
  }

  private func send(_ connection: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
      guard written > 0 else { return }
      offset += written
    }
  }

  static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= pattern.count else { return nil }
    for i in 0...(bytes.count - pattern.count) where bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
    return nil
  }

  static func reason(_ status: Int) -> String {
    [200: "OK", 201: "Created", 204: "No Content", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 422: "Unprocessable Entity"][
      status] ?? "Status"
  }

  // MARK: GitHub's answers

  private func respond(method: String, target: String, authorization: String?, body: Data) -> (Int, Any?, [(String, String)]) {
    let parts = target.split(separator: "?", maxSplits: 1)
    let path = String(parts[0])
    var query: [String: String] = [:]
    if parts.count > 1 {
      for pair in parts[1].split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        if kv.count == 2 { query[String(kv[0])] = String(kv[1]) }
      }
    }
    return with { state -> (Int, Any?, [(String, String)]) in
      state.requests.append("\(method) \(target)")
      guard authorization == "Bearer \(token)" else { return (401, ["message": "Bad credentials"], []) }
      let pulls = "/repos/\(repository)/pulls/\(number)"
      let issues = "/repos/\(repository)/issues/\(number)"
      let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
      if method != "GET" && state.readOnly {
        state.refused403 += 1
        return (403, ["message": "Resource not accessible by integration"], [])
      }
      switch (method, path) {
      case ("GET", pulls + "/files"): return page(state.files, path: path, query: query, size: state.pageSize)
      case ("GET", pulls + "/comments"): return page(state.reviewComments, path: path, query: query, size: state.pageSize)
      case ("GET", issues + "/comments"): return page(state.issueComments, path: path, query: query, size: state.pageSize)
      case ("POST", pulls + "/reviews"):
        guard let object, let comments = object["comments"] as? [[String: Any]] else { return (422, ["message": "Invalid request"], []) }
        if let problem = refusal(object, comments: comments, files: state.files) {
          state.refused422 += 1
          return (422, ["message": "Unprocessable Entity", "errors": [problem]], [])
        }
        let reviewID = state.nextID
        state.nextID += 1
        state.reviews.append(object)
        for comment in comments {
          var stored = comment
          stored["id"] = state.nextID
          stored["pull_request_review_id"] = reviewID
          stored["user"] = ["login": "github-actions[bot]"]
          state.nextID += 1
          state.reviewComments.append(stored)
        }
        return (200, ["id": reviewID, "state": "COMMENTED"], [])
      case ("POST", issues + "/comments"):
        let id = state.nextID
        state.nextID += 1
        state.issueComments.append(["id": id, "body": object?["body"] as? String ?? ""])
        return (201, ["id": id], [])
      default: break
      }
      if method == "DELETE", path.hasPrefix("/repos/\(repository)/pulls/comments/"), let id = Int(path.split(separator: "/").last ?? "") {
        guard let index = state.reviewComments.firstIndex(where: { $0["id"] as? Int == id }) else {
          return (404, ["message": "Not Found"], [])
        }
        state.reviewComments.remove(at: index)
        return (204, nil, [])
      }
      if method == "PATCH", path.hasPrefix("/repos/\(repository)/issues/comments/"), let id = Int(path.split(separator: "/").last ?? "") {
        guard let index = state.issueComments.firstIndex(where: { $0["id"] as? Int == id }) else {
          return (404, ["message": "Not Found"], [])
        }
        state.issueComments[index]["body"] = object?["body"] as? String ?? ""
        return (200, state.issueComments[index], [])
      }
      return (404, ["message": "Not Found"], [])
    }
  }

  /// One page of `items` and the `Link` header GitHub sends with it.
  private func page(_ items: [[String: Any]], path: String, query: [String: String], size: Int) -> (Int, Any?, [(String, String)]) {
    let perPage = max(1, min(Int(query["per_page"] ?? "30") ?? 30, size))
    let number = max(1, Int(query["page"] ?? "1") ?? 1)
    let pages = max(1, (items.count + perPage - 1) / perPage)
    let slice = Array(items.dropFirst((number - 1) * perPage).prefix(perPage))
    var links: [String] = []
    if number < pages {
      links.append("<\(apiURL)\(path)?per_page=\(perPage)&page=\(number + 1)>; rel=\"next\"")
      links.append("<\(apiURL)\(path)?per_page=\(perPage)&page=\(pages)>; rel=\"last\"")
    }
    return (200, slice, links.isEmpty ? [] : [("Link", links.joined(separator: ", "))])
  }

  /// Why GitHub would refuse this review, nil when it would take it.
  private func refusal(_ review: [String: Any], comments: [[String: Any]], files: [[String: Any]]) -> String? {
    guard review["commit_id"] as? String == headSHA else { return "commit_id is not the head of the pull request" }
    guard comments.count <= 30 else { return "more than 30 comments in one review" }
    for comment in comments {
      guard let path = comment["path"] as? String, let line = comment["line"] as? Int, comment["side"] as? String == "RIGHT",
        let file = files.first(where: { $0["filename"] as? String == path })
      else { return "pull_request_review_thread.path or side is not valid" }
      let start = comment["start_line"] as? Int ?? line
      let hunks = Self.rightHunks(file["patch"] as? String ?? "")
      guard hunks.contains(where: { $0.contains(start) && $0.contains(line) }) else {
        return "pull_request_review_thread.line must be part of the diff (\(path) \(start)...\(line))"
      }
    }
    return nil
  }

  /// RIGHT-side line ranges of a patch's hunks (parsed here on its own, not with the code under test).
  static func rightHunks(_ patch: String) -> [ClosedRange<Int>] {
    patch.components(separatedBy: "\n").compactMap { line -> ClosedRange<Int>? in
      guard line.hasPrefix("@@ "), let plus = line.split(separator: " ").first(where: { $0.hasPrefix("+") }) else { return nil }
      let numbers = plus.dropFirst().split(separator: ",").compactMap { Int($0) }
      guard let start = numbers.first else { return nil }
      let count = numbers.count > 1 ? numbers[1] : 1
      return count > 0 ? start...(start + count - 1) : nil
    }
  }

  // MARK: What a test does to the pull request

  /// Marks review comments outdated, as GitHub does when a push changes their lines.
  func markOutdated(_ ids: Set<Int>) {
    with { state in
      for index in state.reviewComments.indices where ids.contains(state.reviewComments[index]["id"] as? Int ?? -1) {
        state.reviewComments[index]["line"] = NSNull()
      }
    }
  }

  /// A person's reply to a review comment.
  func reply(to id: Int) {
    with { state in
      guard let original = state.reviewComments.first(where: { $0["id"] as? Int == id }) else { return }
      state.reviewComments.append([
        "id": state.nextID, "body": "Not this one, we need it.", "path": original["path"] ?? "", "line": original["line"] ?? NSNull(),
        "in_reply_to_id": id, "user": ["login": "octocat"],
      ])
      state.nextID += 1
    }
  }
}
