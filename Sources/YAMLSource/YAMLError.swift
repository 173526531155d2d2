/// A problem with the input that stops a file from being read or edited.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
  /// 1-based line of the problem.
  public var line: Int
  /// 1-based column of the problem, in Unicode scalars.
  public var column: Int
  public var message: String

  public init(line: Int, column: Int, message: String) {
    self.line = line
    self.column = column
    self.message = message
  }

  public var description: String { "\(line):\(column): error: \(message)" }

  /// `path:line:col: error: message`.
  public func formatted(path: String) -> String { "\(path):\(line):\(column): error: \(message)" }
}

/// Hard limits that protect against hostile input.
public struct ParseLimits: Sendable {
  /// The largest file accepted, in bytes.
  public var maxBytes: Int
  /// The deepest nesting of collections accepted (libyaml 0.2.5 is quadratic in flow depth).
  public var maxDepth: Int
  /// The most nodes one document may hold.
  public var maxNodesPerDocument: Int

  public init(maxBytes: Int = 256 << 20, maxDepth: Int = 512, maxNodesPerDocument: Int = 50_000_000) {
    self.maxBytes = maxBytes
    self.maxDepth = maxDepth
    self.maxNodesPerDocument = maxNodesPerDocument
  }

  public static let `default` = ParseLimits()
}
