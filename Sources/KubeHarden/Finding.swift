import YAMLSource

/// How serious a finding is.
public enum Severity: String, Sendable, Codable, CaseIterable {
  case error, warning, note
}

/// How far a fix can be trusted, as in ruff: only `safe` fixes are applied by default.
///
/// The pass that writes a fix decides, since it knows why the edit is risky: a fix that
/// overrides what the manifest says explicitly, or that could stop a working container, is
/// `unsafe`; where no edit can be right (a node agent that needs the host), the finding is
/// `manual` and says what a person must do.
public enum Applicability: String, Sendable, Codable, CaseIterable, Comparable {
  /// Cannot change what a working workload does: `fix` applies it.
  case safe
  /// Can change what the workload does (it overrides an explicit value, or the image may not
  /// survive it): shown by `check`, `diff --unsafe-fixes` and every report, applied by `fix`
  /// only with `--unsafe-fixes` (`unsafeFixes: true`).
  case unsafe
  /// No automatic fix: the finding's reason says what a person must do.
  case manual

  public static func < (a: Applicability, b: Applicability) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

/// Whether a finding can be fixed automatically, and if not, why.
public enum FindingStatus: Sendable, Codable, Hashable {
  /// A fix is attached and `fix` applies it.
  case fixable
  /// An annotation or the configuration exempts the object; `location` is the annotation's.
  case exempted(reason: String, location: SourceLocation?)
  /// No automatic fix (applicability `manual`): the edit would be wrong or invalid here (alias,
  /// Windows pod, node agent, conflicting field, ...); `reason` says what a person must do.
  case unfixable(reason: String)

  public var isFixable: Bool { if case .fixable = self { return true } else { return false } }

  public var isExempted: Bool { if case .exempted = self { return true } else { return false } }

  /// A short word for reports: `fixable`, `exempted`, `manual`.
  public var kind: String {
    switch self {
    case .fixable: return "fixable"
    case .exempted: return "exempted"
    case .unfixable: return "manual"
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
  /// `safe` or `unsafe` (a finding without a fix is `manual`).
  public var applicability: Applicability

  public init(title: String, edits: [Edit], applicability: Applicability = .safe) {
    self.title = title
    self.edits = edits
    self.applicability = applicability
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
  /// The fix, when `status` is `.fixable`. An unsafe fix is kept here even when `fix` does not
  /// apply it: its edits are then against the original, not part of `FileReport.edits`.
  public var fix: Fix?

  /// `safe` or `unsafe` (the fix's), `manual` (no automatic fix), nil when exempted.
  public var applicability: Applicability? {
    switch status {
    case .fixable: return fix?.applicability ?? .manual
    case .unfixable: return .manual
    case .exempted: return nil
    }
  }

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
  /// Fixable findings by pass id whose fixes are applied (safe ones; unsafe ones too with
  /// `--unsafe-fixes`).
  public var fixableByPass: [String: Int] = [:]
  /// Findings by pass id with an unsafe fix that was not applied (no `--unsafe-fixes`).
  public var unsafeByPass: [String: Int] = [:]
  public var exempted = 0
  /// Findings without an automatic fix (applicability `manual`).
  public var unfixable = 0

  public init() {}

  /// Unsafe fixes not applied, all passes.
  public var unsafe: Int { unsafeByPass.values.reduce(0, +) }

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
    unsafeByPass.merge(other.unsafeByPass, uniquingKeysWith: +)
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
  /// Its Namespaces and LimitRanges, for the view across the files of a run.
  public var namespaces = NamespaceIndex()

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

  public var description: String { line >= 1 ? "\(line):\(column): error: \(message)" : "error: \(message)" }

  /// `path:line:col: error: message`; `path: error: message` for an error about the path itself
  /// (line 0: it does not exist, it cannot be read), which has no place in a file.
  public func formatted(path: String) -> String {
    line >= 1 ? "\(path):\(line):\(column): error: \(message)" : "\(path): error: \(message)"
  }
}
