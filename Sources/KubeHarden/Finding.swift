import YAMLSource

/// How serious a finding is.
public enum Severity: String, Sendable, Codable, CaseIterable {
  case error, warning, note
}

/// Whether a finding can be fixed automatically, and if not, why.
public enum FindingStatus: Sendable, Codable, Hashable {
  /// A fix is attached and `fix` applies it.
  case fixable
  /// An annotation or the configuration exempts the object; `location` is the annotation's.
  case exempted(reason: String, location: SourceLocation?)
  /// The fix would be wrong or invalid here (alias, Windows pod, conflicting field, ...).
  case unfixable(reason: String)

  public var isFixable: Bool { if case .fixable = self { return true } else { return false } }

  public var isExempted: Bool { if case .exempted = self { return true } else { return false } }

  /// A short word for reports: `fixable`, `exempted`, `unfixable`.
  public var kind: String {
    switch self {
    case .fixable: return "fixable"
    case .exempted: return "exempted"
    case .unfixable: return "unfixable"
    }
  }

  /// Why the finding is not fixed, if it is not.
  public var reason: String? {
    switch self {
    case .fixable: return nil
    case .exempted(let reason, _), .unfixable(let reason): return reason
    }
  }
}

/// A group of edits that fix one finding, applied together or not at all.
///
/// Several findings of one object may share edits: when three passes each add a key to a
/// `securityContext` that does not exist yet, one insertion writes all three keys, and each
/// finding's fix names that insertion.
public struct Fix: Sendable, Codable, Hashable {
  /// Imperative title: "Set privileged: false".
  public var title: String
  /// Edits of the original buffer, in application order.
  public var edits: [Edit]

  public init(title: String, edits: [Edit]) {
    self.title = title
    self.edits = edits
  }
}

/// A problem found in one file.
public struct Finding: Sendable, Codable, Hashable {
  /// The id of the pass that found it (`no-privileged`).
  public var passID: String
  public var severity: Severity
  /// States the problem: "container 'web' runs privileged".
  public var message: String
  /// Byte range of the node the finding is about.
  public var range: Range<Int>
  /// Start and end of `range` (1-based lines, 1-based columns in Unicode scalars).
  public var start: SourceLocation
  public var end: SourceLocation
  public var status: FindingStatus
  /// The fix, when `status` is `.fixable`.
  public var fix: Fix?

  public init(
    passID: String, severity: Severity, message: String, range: Range<Int>, start: SourceLocation,
    end: SourceLocation, status: FindingStatus, fix: Fix?
  ) {
    self.passID = passID
    self.severity = severity
    self.message = message
    self.range = range
    self.start = start
    self.end = end
    self.status = status
    self.fix = fix
  }
}

/// Finding counts of one file, kept even when the findings themselves are not (`fix`).
public struct FindingCounts: Sendable, Hashable {
  /// Fixable findings by pass id: the fixes `fix` applies.
  public var fixableByPass: [String: Int] = [:]
  public var exempted = 0
  public var unfixable = 0

  public init() {}

  public mutating func add(_ finding: Finding) { add(passID: finding.passID, status: finding.status) }

  public mutating func add(passID: String, status: FindingStatus) {
    switch status {
    case .fixable: fixableByPass[passID, default: 0] += 1
    case .exempted: exempted += 1
    case .unfixable: unfixable += 1
    }
  }

  public mutating func add(_ other: FindingCounts) {
    fixableByPass.merge(other.fixableByPass, uniquingKeysWith: +)
    exempted += other.exempted
    unfixable += other.unfixable
  }
}

/// What kubeharden made of one input file.
public struct FileReport: Sendable {
  /// The path as given on the command line (`-` or `<stdin>` for standard input).
  public var path: String
  /// The original bytes.
  public var original: [UInt8]
  /// Every edit that `fix` applies to this file, in application order (empty: nothing to fix,
  /// or only counts were asked for, as `fix` does).
  public var edits: [Edit]
  /// The fixed bytes, `original` with `edits` applied; equal to `original` when nothing changes.
  public var fixed: [UInt8]
  /// The findings (empty when the pipeline was asked to keep counts only).
  public var findings: [Finding]
  /// Counts of every finding, whether or not `findings` were kept.
  public var counts: FindingCounts
  /// A problem that stopped the file from being processed; nothing is written then.
  public var error: FileError?

  public init(
    path: String, original: [UInt8], edits: [Edit] = [], fixed: [UInt8]? = nil, findings: [Finding] = [],
    counts: FindingCounts? = nil, error: FileError? = nil
  ) {
    self.path = path
    self.original = original
    self.edits = edits
    self.fixed = fixed ?? original
    self.findings = findings
    self.counts = counts ?? findings.reduce(into: FindingCounts()) { $0.add($1) }
    self.error = error
  }

  /// Whether `fix` would change the file.
  public var changed: Bool { error == nil && fixed != original }
}

/// A problem that stops one file from being processed.
public struct FileError: Error, Sendable, Hashable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var message: String

  public init(line: Int = 1, column: Int = 1, message: String) {
    self.line = line
    self.column = column
    self.message = message
  }

  public init(_ error: YAMLError) {
    self.init(line: error.line, column: error.column, message: error.message)
  }

  public var description: String { "\(line):\(column): error: \(message)" }

  /// `path:line:col: error: message`.
  public func formatted(path: String) -> String { "\(path):\(line):\(column): error: \(message)" }
}
