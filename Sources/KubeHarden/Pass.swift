import YAMLSource

/// "This mapping must have this value at this path": what a pass asks for; the planner turns
/// requirements into edits, merging those that build the same new block.
public struct Requirement: Sendable, Hashable {
  /// What the requirement asks of the value at `path`.
  public enum Kind: Sendable, Hashable {
    /// It must be `value` (a list: must hold `value`'s items).
    case set
    /// It must not hold `value`'s items (a list); nothing is asked when it is absent.
    case remove
  }

  /// The mapping the path starts from (a pod spec or a container).
  public var base: NodeID
  public var path: [String]
  public var value: NewValue
  public var kind: Kind

  public init(base: NodeID, path: [String], value: NewValue, kind: Kind = .set) {
    self.base = base
    self.path = path
    self.value = value
    self.kind = kind
  }

  /// "The list at `path` must not hold these items."
  public static func removing(_ items: [NewValue], base: NodeID, path: [String]) -> Requirement {
    Requirement(base: base, path: path, value: .sequence(items), kind: .remove)
  }
}

/// A finding as a pass reports it, before the planner attaches edits.
///
/// Its texts are built only when read: `fix` keeps counts, not findings, and on a large stream
/// building every message would cost more than planning the edits.
public struct Draft: Sendable {
  private var makeMessage: @Sendable () -> String
  private var makeFixTitle: @Sendable () -> String
  public var message: String { makeMessage() }
  /// The node the finding points at.
  public var node: NodeID
  public var status: FindingStatus
  /// What would fix it (empty for findings that are not fixable).
  public var requirements: [Requirement]
  /// Imperative title of the fix: "Set privileged: false".
  public var fixTitle: String {
    get { makeFixTitle() }
    set { makeFixTitle = { newValue } }
  }
  /// Overrides the pass's severity for this finding (e.g. `.note` for what is skipped on Windows).
  public var severity: Severity?
  /// `safe` or `unsafe`: whether `fix` may apply the requirements without `--unsafe-fixes`.
  /// A finding with no automatic fix is `manual` through its status (`.unfixable`), not here.
  public var applicability: Applicability

  public init(
    message: @escaping @Sendable @autoclosure () -> String, node: NodeID, status: FindingStatus = .fixable,
    requirements: [Requirement] = [], fixTitle: @escaping @Sendable @autoclosure () -> String = "", severity: Severity? = nil,
    applicability: Applicability = .safe
  ) {
    self.makeMessage = message
    self.node = node
    self.status = status
    self.requirements = requirements
    self.makeFixTitle = fixTitle
    self.severity = severity
    self.applicability = applicability
  }
}

/// What a pass sees besides the pod: the configuration, the document reader, and which passes
/// will run on which container (passes that must coordinate ask this).
public struct PassContext: Sendable {
  public let configuration: Configuration
  public let editor: MappingEditor
  public let exemptions: Exemptions
  /// What the pod's manifest says it needs (host access, capabilities, explicit choices, images).
  public let evidence: PodEvidence
  let locations: Locations
  /// The rarely written keys that occur in the document (`.all` when not indexed).
  let keys: DocumentKeys
  public var document: Document { editor.document }

  init(
    configuration: Configuration, editor: MappingEditor, exemptions: Exemptions, evidence: PodEvidence = PodEvidence(),
    locations: Locations = Locations(nil), keys: DocumentKeys = .all
  ) {
    self.configuration = configuration
    self.editor = editor
    self.exemptions = exemptions
    self.evidence = evidence
    self.locations = locations
    self.keys = keys
  }

  /// Whether any of `keys` may be written in the document: when not, a pass that reads only
  /// those keys has nothing to find and skips its lookups.
  public func mentions(_ keys: DocumentKeys) -> Bool { !self.keys.isDisjoint(with: keys) }

  /// `line:col` of a node, for messages that point at other places (`?` when lines are not
  /// counted, as in `fix`, which keeps no messages).
  public func position(of node: NodeID) -> String {
    let location = locations.location(of: document.range(node).lowerBound)
    return location.line > 0 ? "\(location.line):\(location.column)" : "?"
  }

  /// Evidence items as `what (line:col)`, joined.
  public func describe(_ items: [PodEvidence.Item]) -> String {
    items.map { "\($0.what) at \(position(of: $0.node))" }.joined(separator: ", ")
  }

  /// Whether `passID` runs and is not exempted for `container` of `pod`.
  public func willRun(_ passID: String, on container: ContainerView?) -> Bool {
    configuration.isEnabled(passID) && exemptions.exemption(for: passID, container: container?.name) == nil
  }

  /// The value at `path` under `base`, following merge keys and aliases.
  public func value(_ base: NodeID, _ path: [String]) -> NodeID? { editor.value(at: path, in: base) }

  /// The boolean at `path`, if the value there is a boolean.
  public func bool(_ base: NodeID, _ path: [String]) -> Bool? { value(base, path).flatMap { document.bool($0) } }

  /// The integer at `path`, if the value there is one.
  public func int(_ base: NodeID, _ path: [String]) -> Int? { value(base, path).flatMap { document.integer($0) } }

  /// The node to point a finding at: the deepest node along `path` written in place (not
  /// through an alias or a merge key, which would point elsewhere in the file), else `base`.
  public func locate(_ base: NodeID, _ path: [String]) -> NodeID {
    var current = base
    var node = base
    for key in path {
      guard let found = editor.lookup(current, key), found.isLocal, !document.isAlias(found.value) else { break }
      node = found.key
      current = document.resolved(found.value)
      if document.isScalar(current) { node = current }
    }
    return node
  }
}

/// A fix pass: one insecure setting, how to find it in a pod, and how to fix it.
public protocol Pass: Sendable {
  static var metadata: PassMetadata { get }
  init()
  /// The drafts for one pod spec. Exemptions are applied by the pipeline, not here.
  func check(_ pod: PodSpecView, context: PassContext) -> [Draft]
}

extension Pass {
  public var metadata: PassMetadata { Self.metadata }
}
