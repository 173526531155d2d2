import Dispatch
import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A thin client for the GitHub REST API: JSON in, JSON out, pages followed, nothing decided.
///
/// Every request goes to `apiURL` (`GITHUB_API_URL`, never a hard-coded host) with the headers
/// GitHub asks for: `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`,
/// a `User-Agent` (requests without one are refused) and `Authorization: Bearer <token>`
/// (docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api). With
/// `dryRun`, requests that change something are written to `log` instead of being sent.
public final class GitHubClient: Sendable {
  public let apiURL: String
  let token: String?
  let dryRun: Bool
  let log: @Sendable (String) -> Void
  let timeout: TimeInterval
  let session: URLSession

  /// Pages followed at most for one list (3,000 files is GitHub's most for a pull request's
  /// files, 30 pages of 100).
  public static let maxPages = 100

  public init(
    apiURL: String, token: String?, dryRun: Bool = false, timeout: TimeInterval = 30,
    log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
    self.token = token
    self.dryRun = dryRun
    self.log = log
    self.timeout = timeout
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    configuration.timeoutIntervalForResource = timeout * 4
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    session = URLSession(configuration: configuration)
  }

  deinit { session.finishTasksAndInvalidate() }

  /// A request GitHub answered with an error status, or that got no answer (`status` 0).
  public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var method: String
    public var path: String
    /// GitHub's `message` (and `errors`), or the transport error.
    public var message: String
    public var description: String {
      status == 0 ? "\(method) \(path): \(message)" : "\(method) \(path): HTTP \(status): \(message)"
    }
  }

  public struct Response: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data
    public var json: Any? { body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: body) }
  }

  /// Every item of a paginated list: `per_page=100` (GitHub's most), then the `next` URL of
  /// each response's `Link` header until there is none
  /// (docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api). Only
  /// links under `apiURL` are followed, so the token never goes to another host.
  public func list(_ path: String) throws(APIError) -> [[String: Any]] {
    var items: [[String: Any]] = []
    var next: String? = apiURL + path + (path.contains("?") ? "&" : "?") + "per_page=100"
    var pages = 0
    while let url = next, pages < Self.maxPages {
      pages += 1
      let response = try send("GET", url: url, pathForErrors: path, body: nil)
      guard let page = response.json as? [[String: Any]] else {
        throw APIError(status: response.status, method: "GET", path: path, message: "the answer is not a JSON array")
      }
      items += page
      next = Self.nextLink(response.headers["link"]).flatMap { $0.hasPrefix(apiURL + "/") ? $0 : nil }
    }
    return items
  }

  @discardableResult
  public func post(_ path: String, _ object: [String: Any]) throws(APIError) -> Response {
    try write("POST", path, object)
  }

  @discardableResult
  public func patch(_ path: String, _ object: [String: Any]) throws(APIError) -> Response {
    try write("PATCH", path, object)
  }

  public func delete(_ path: String) throws(APIError) {
    _ = try write("DELETE", path, nil)
  }

  func write(_ method: String, _ path: String, _ object: [String: Any]?) throws(APIError) -> Response {
    let body = object.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .withoutEscapingSlashes]) }
    if dryRun {
      log("\(method) \(apiURL)\(path)" + (body.map { "\n" + String(decoding: $0, as: UTF8.self) } ?? "") + "\n")
      return Response(status: 0, headers: [:], body: Data())
    }
    return try send(method, url: apiURL + path, pathForErrors: path, body: body)
  }

  /// The URL with `rel="next"` in a `Link` header: `<url>; rel="next", <url>; rel="last"`.
  static func nextLink(_ header: String?) -> String? {
    guard let header else { return nil }
    for part in header.split(separator: ",") {
      let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
      guard fields.count >= 2, fields[0].hasPrefix("<"), fields[0].hasSuffix(">") else { continue }
      if fields.dropFirst().contains(where: { $0 == "rel=\"next\"" }) { return String(fields[0].dropFirst().dropLast()) }
    }
    return nil
  }

  func send(_ method: String, url: String, pathForErrors path: String, body: Data?) throws(APIError) -> Response {
    guard let target = URL(string: url) else { throw APIError(status: 0, method: method, path: path, message: "not a URL: \(url)") }
    var request = URLRequest(url: target, timeoutInterval: timeout)
    request.httpMethod = method
    request.setValue("application/vnd.github+json", forHTTPHeaderField: "Accept")
    request.setValue("2022-11-28", forHTTPHeaderField: "X-GitHub-Api-Version")
    request.setValue("kubeharden", forHTTPHeaderField: "User-Agent")
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    if let body {
      request.httpBody = body
      request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let result = ResultBox()
    let done = DispatchSemaphore(value: 0)
    let task = session.dataTask(with: request) { data, response, error in
      result.set(data: data, response: response as? HTTPURLResponse, error: error)
      done.signal()
    }
    task.resume()
    if done.wait(timeout: .now() + timeout * 4) == .timedOut {
      task.cancel()
      throw APIError(status: 0, method: method, path: path, message: "no answer within \(Int(timeout * 4)) s")
    }
    let (data, http, error) = result.get()
    guard let http else {
      throw APIError(status: 0, method: method, path: path, message: error.map { "\($0.localizedDescription)" } ?? "no response")
    }
    var headers: [String: String] = [:]
    for (name, value) in http.allHeaderFields {
      if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
    }
    let response = Response(status: http.statusCode, headers: headers, body: data ?? Data())
    guard (200..<300).contains(http.statusCode) else {
      throw APIError(status: http.statusCode, method: method, path: path, message: Self.message(response))
    }
    return response
  }

  /// GitHub's error `message`, with the `errors` it lists (422 names the field).
  static func message(_ response: Response) -> String {
    guard let object = response.json as? [String: Any] else {
      return String(decoding: response.body.prefix(200), as: UTF8.self)
    }
    var text = object["message"] as? String ?? "error"
    if let errors = object["errors"] as? [Any], !errors.isEmpty {
      let details = errors.map { error -> String in
        if let text = error as? String { return text }
        if let object = error as? [String: Any] { return (object["message"] as? String) ?? (object["code"] as? String) ?? "\(object)" }
        return "\(error)"
      }
      text += " (" + details.joined(separator: "; ") + ")"
    }
    return text
  }
}

/// The answer of one data task, handed from URLSession's queue to the waiting caller.
private final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var data: Data?
  private var response: HTTPURLResponse?
  private var error: Error?

  func set(data: Data?, response: HTTPURLResponse?, error: Error?) {
    lock.lock()
    defer { lock.unlock() }
    self.data = data
    self.response = response
    self.error = error
  }

  func get() -> (Data?, HTTPURLResponse?, Error?) {
    lock.lock()
    defer { lock.unlock() }
    return (data, response, error)
  }
}
