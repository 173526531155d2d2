/// GitHub Actions workflow commands (`::warning file=...,line=...,title=...::message`) and the
/// annotation limits of a step.
///
/// A step shows at most 10 error, 10 warning and 10 notice annotations, and a job 50
/// (actions/toolkit docs/problem-matchers.md, "Limitations"); the rest are dropped without a
/// word, so `Annotations` writes the first ones as commands and says in one line how many more
/// there are, listing them as plain lines.
public enum WorkflowCommand {
  /// Annotations of one kind GitHub shows per step.
  public static let perKindLimit = 10

  /// A workflow command, escaped as the runner requires.
  public static func format(_ name: String, properties: [(String, String)], message: String) -> String {
    let list = properties.map { "\($0.0)=\(escapeProperty($0.1))" }.joined(separator: ",")
    return "::\(name)" + (list.isEmpty ? "" : " " + list) + "::\(escapeData(message))"
  }

  static func escapeData(_ text: String) -> String {
    text.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
  }

  static func escapeProperty(_ text: String) -> String {
    escapeData(text).replacingAll(":", "%3A").replacingAll(",", "%2C")
  }

  /// Counts annotations by kind and turns the ones past the limit into plain lines.
  public struct Annotations: Sendable {
    private var counts: [String: Int] = [:]
    /// How many were past the limit, by kind.
    public private(set) var dropped: [String: Int] = [:]

    public init() {}

    /// The command for an annotation of `kind` (`error`, `warning`, `notice`), or nil once the
    /// step's limit for that kind is reached (then `plain` is what to print).
    public mutating func command(_ kind: String, properties: [(String, String)], message: String) -> String? {
      counts[kind, default: 0] += 1
      guard counts[kind, default: 0] <= WorkflowCommand.perKindLimit else {
        dropped[kind, default: 0] += 1
        return nil
      }
      return WorkflowCommand.format(kind, properties: properties, message: message)
    }

    /// One notice saying how many annotations were not made, nil when none were dropped.
    public func droppedSummary(tool: String) -> String? {
      let total = dropped.values.reduce(0, +)
      guard total > 0 else { return nil }
      let kinds = dropped.keys.sorted().map { "\(dropped[$0] ?? 0) more \($0)\(dropped[$0] == 1 ? "" : "s")" }.joined(separator: ", ")
      return WorkflowCommand.format(
        "notice", properties: [("title", tool)],
        message: "\(kinds) not shown as annotations (GitHub shows \(WorkflowCommand.perKindLimit) of each kind per step); the log lists them")
    }
  }
}

extension String {
  /// Replaces every `target` scalar sequence by `replacement` (without Foundation, comparing
  /// Unicode scalars so that `\r\n` is not one character).
  fileprivate func replacingAll(_ target: String, _ replacement: String) -> String {
    let scalars = Array(unicodeScalars)
    let pattern = Array(target.unicodeScalars)
    var out = String.UnicodeScalarView()
    var index = 0
    while index < scalars.count {
      if index + pattern.count <= scalars.count, Array(scalars[index..<(index + pattern.count)]) == pattern {
        out.append(contentsOf: replacement.unicodeScalars)
        index += pattern.count
      } else {
        out.append(scalars[index])
        index += 1
      }
    }
    return String(out)
  }
}
