import YAMLSource

/// Where a pod spec lives for one kind: the keys from the object to its `PodSpec`, and the
/// keys from the object to the pod template's `metadata` (for exemption annotations).
public struct PodTemplatePath: Sendable, Hashable {
  public var apiVersion: String?
  public var kind: String
  public var specPath: [String]

  public init(apiVersion: String? = nil, kind: String, specPath: [String]) {
    self.apiVersion = apiVersion
    self.kind = kind
    self.specPath = specPath
  }

  /// The pod template's `metadata` path: the spec path with its last key replaced.
  var templateMetadataPath: [String]? {
    guard specPath.count >= 2 else { return nil }
    return specPath.dropLast() + ["metadata"]
  }

  /// The built-in kinds, core API groups only.
  public static let builtIn: [String: [String]] = [
    "Pod": ["spec"],
    "Deployment": ["spec", "template", "spec"],
    "StatefulSet": ["spec", "template", "spec"],
    "DaemonSet": ["spec", "template", "spec"],
    "ReplicaSet": ["spec", "template", "spec"],
    "ReplicationController": ["spec", "template", "spec"],
    "Job": ["spec", "template", "spec"],
    "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    "PodTemplate": ["template", "spec"],
  ]

  /// API groups whose workload kinds kubeharden knows: core, apps, batch, extensions.
  public static let coreGroups: Set<String> = ["", "apps", "batch", "extensions"]
}

/// Which list of the pod spec a container is in.
public enum ContainerGroup: String, Sendable, CaseIterable {
  case containers, initContainers, ephemeralContainers
}

/// One container of a pod spec.
public struct ContainerView: Sendable {
  /// The container's mapping (aliases resolved).
  public let node: NodeID
  /// The item as written in the list (may be an alias).
  public let item: NodeID
  public let name: String
  public let group: ContainerGroup
  public let index: Int
  /// Why edits to this container are not safe (alias, shared anchor), if they are not.
  public let sharedReason: String?

  /// `container 'web'` / `init container 'setup'` / `ephemeral container 'debug'`.
  public var label: String {
    switch group {
    case .containers: return "container '\(name)'"
    case .initContainers: return "init container '\(name)'"
    case .ephemeralContainers: return "ephemeral container '\(name)'"
    }
  }
}

/// A pod spec found in a document, with what passes need to judge and fix it.
public struct PodSpecView: Sendable {
  public let document: Document
  /// The object's mapping (the document root, or a `List` item).
  public let object: NodeID
  public let kind: String
  public let name: String?
  /// The `PodSpec` mapping.
  public let spec: NodeID
  /// The pod spec's key node (for locating pod-level findings).
  public let specKey: NodeID?
  /// The object's and the pod template's `metadata` mappings, where exemptions are read.
  public let metadata: [NodeID]
  public let containers: [ContainerView]
  /// A Windows pod: `spec.os.name: windows`, a `kubernetes.io/os: windows` node selector, or a
  /// HostProcess container.
  public let isWindows: Bool
  /// Why pod-level edits are not safe (alias, shared anchor), if they are not.
  public let sharedReason: String?

  /// `Deployment 'web'`.
  public var label: String { name.map { "\(kind) '\($0)'" } ?? kind }

  /// The annotations of the object and of its pod template, in that order.
  public func annotations(_ editor: MappingEditor) -> [MappingEntry] {
    var entries: [MappingEntry] = []
    for metadata in metadata {
      guard let found = editor.lookup(metadata, "annotations") else { continue }
      let annotations = document.resolved(found.value)
      guard document.isMapping(annotations) else { continue }
      for entry in document.eachEntry(annotations) { entries.append(entry) }
    }
    return entries
  }
}

/// Finds the pod specs of every workload in a document.
public struct WorkloadLocator: Sendable {
  public var extraPaths: [PodTemplatePath]

  public init(extraPaths: [PodTemplatePath] = []) { self.extraPaths = extraPaths }

  public func podSpecs(in document: Document) -> [PodSpecView] { podSpecs(in: MappingEditor(document)) }

  /// The pod specs of `editor`'s document, read through that editor.
  public func podSpecs(in editor: MappingEditor) -> [PodSpecView] {
    guard let root = editor.document.root else { return [] }
    var result: [PodSpecView] = []
    collect(editor, object: root, depth: 0, into: &result)
    return result
  }

  func collect(_ editor: MappingEditor, object: NodeID, depth: Int, into result: inout [PodSpecView]) {
    let document = editor.document
    let object = document.resolved(object)
    guard document.isMapping(object), depth < 8 else { return }
    guard let kind = editor.lookup(object, "kind").flatMap({ document.string($0.value) }),
      let apiVersion = editor.lookup(object, "apiVersion").flatMap({ document.string($0.value) })
    else { return }
    if kind == "List" || (kind.hasSuffix("List") && kind.count > 4) {
      if let items = editor.lookup(object, "items")?.value, document.isSequence(document.resolved(items)) {
        for item in document.items(document.resolved(items)) {
          collect(editor, object: item, depth: depth + 1, into: &result)
        }
      }
      return
    }
    guard let path = specPath(kind: kind, apiVersion: apiVersion) else { return }
    // A strategic-merge patch fragment (`$patch: delete`, `$setElementOrder/...`) is not a workload.
    if containsPatchDirective(document, object) { return }
    var shared: String?
    guard let spec = walk(editor, from: object, path: path, shared: &shared) else { return }
    guard document.isMapping(spec) else { return }
    let objectMetadata = editor.lookup(object, "metadata").map { document.resolved($0.value) }
    var metadata: [NodeID] = objectMetadata.map { [$0] } ?? []
    if path.count >= 2 {
      var ignored: String?
      if let templateMeta = walk(editor, from: object, path: path.dropLast() + ["metadata"], shared: &ignored) {
        metadata.append(templateMeta)
      }
    }
    let name = objectMetadata.flatMap { editor.lookup($0, "name") }.flatMap { document.string($0.value) }
    let specKey = specKeyNode(editor, object: object, path: path)
    if shared == nil { shared = sharedReason(document, spec) }
    let os = editor.lookup(spec, "os").map { document.resolved($0.value) }
    let osName = os.flatMap { editor.lookup($0, "name") }.flatMap { document.string($0.value) }
    let nodeSelector = editor.lookup(spec, "nodeSelector").map { document.resolved($0.value) }
    let selectedOS = nodeSelector.flatMap { editor.lookup($0, "kubernetes.io/os") }.flatMap { document.string($0.value) }
    var containers: [ContainerView] = []
    for group in ContainerGroup.allCases {
      guard let list = editor.lookup(spec, group.rawValue) else { continue }
      let sequence = document.resolved(list.value)
      guard document.isSequence(sequence) else { continue }
      let listShared =
        shared ?? (document.isAlias(list.value) ? "the \(group.rawValue) list is an alias" : nil)
        ?? (list.isLocal ? nil : "the \(group.rawValue) list comes through a merge key")
      for (index, item) in document.items(sequence).enumerated() {
        let node = document.resolved(item)
        guard document.isMapping(node) else { continue }
        let containerName = editor.lookup(node, "name").flatMap { document.string($0.value) } ?? "#\(index)"
        var reason = listShared
        if reason == nil && document.isAlias(item) { reason = "the container is an alias of an anchored container" }
        if reason == nil { reason = sharedReason(document, node) }
        containers.append(
          ContainerView(node: node, item: item, name: containerName, group: group, index: index, sharedReason: reason))
      }
    }
    result.append(
      PodSpecView(
        document: document, object: object, kind: kind, name: name, spec: spec, specKey: specKey, metadata: metadata,
        containers: containers,
        isWindows: osName == "windows" || selectedOS == "windows" || isHostProcess(editor, spec: spec, containers: containers),
        sharedReason: shared))
  }

  /// The path to the pod spec for a kind, or nil when the kind is not a workload here.
  public func specPath(kind: String, apiVersion: String) -> [String]? {
    for extra in extraPaths where extra.kind == kind && (extra.apiVersion == nil || extra.apiVersion == apiVersion) {
      return extra.specPath
    }
    // `group/version`, or `version` for the core group. A slash with nothing on one side (`/`,
    // `apps/`, `/v1`) is no API version at all: not a workload (the fuzzer found that `/` used
    // to crash here).
    let utf8 = apiVersion.utf8
    var group = Substring("")
    if let slash = utf8.firstIndex(of: UInt8(ascii: "/")) {
      if slash == utf8.startIndex || utf8.index(after: slash) == utf8.endIndex { return nil }
      group = apiVersion[..<slash]
    }
    guard PodTemplatePath.coreGroups.contains(String(group)) else { return nil }
    if kind == "Pod" || kind == "PodTemplate" || kind == "ReplicationController" { guard group == "" else { return nil } }
    return PodTemplatePath.builtIn[kind]
  }

  /// Whether the pod or one of its containers is a Windows HostProcess container
  /// (`securityContext.windowsOptions.hostProcess: true`): a Windows pod even without `spec.os`.
  func isHostProcess(_ editor: MappingEditor, spec: NodeID, containers: [ContainerView]) -> Bool {
    let document = editor.document
    func isHostProcess(_ base: NodeID) -> Bool {
      editor.value(at: WorkloadLocator.hostProcessPath, in: base).flatMap { document.bool($0) } == true
    }
    return isHostProcess(spec) || containers.contains { isHostProcess($0.node) }
  }

  static let hostProcessPath = ["securityContext", "windowsOptions", "hostProcess"]

  /// Whether any key under `object` is a strategic-merge patch directive (`$patch`,
  /// `$setElementOrder/...`, `$retainKeys`, `$deleteFromPrimitiveList/...`).
  func containsPatchDirective(_ document: Document, _ object: NodeID) -> Bool {
    // Most objects hold no `$` at all (nor a `\` that could escape one in a quoted key): two
    // memchr over their text settle it.
    let end = document.range(object).upperBound
    let bytes = document.source.bytes
    let start = document.range(object).lowerBound
    guard bytes.fastIndex(of: UInt8(ascii: "$"), from: start, to: end) != nil || bytes.fastIndex(of: UInt8(ascii: "\\"), from: start, to: end) != nil
    else {
      return false
    }
    // Descendants follow their ancestor in document order: scan only the object's own nodes,
    // and each mapping's keys once.
    var index = object.raw
    while Int(index) < document.nodeCount {
      let node = NodeID(index)
      index += 1
      if document.range(node).lowerBound >= end && node != object { break }
      guard document.isMapping(node) else { continue }
      var key = document.firstChild(node)
      while let k = key {
        if document.firstValueByte(k) == UInt8(ascii: "$"), let name = document.string(k),
          name == "$patch" || name == "$retainKeys" || name.hasPrefix("$setElementOrder/") || name.hasPrefix("$deleteFromPrimitiveList/")
        {
          return true
        }
        key = document.nextSibling(k).flatMap { document.nextSibling($0) }
      }
    }
    return false
  }

  func walk(_ editor: MappingEditor, from start: NodeID, path: [String], shared: inout String?) -> NodeID? {
    let document = editor.document
    var current = start
    for key in path {
      guard let found = editor.lookup(current, key) else { return nil }
      if shared == nil {
        if document.isAlias(found.value) {
          shared = "'\(key)' is an alias of an anchored node"
        } else if !found.isLocal {
          shared = "'\(key)' comes through a merge key"
        }
      }
      current = document.resolved(found.value)
    }
    return current
  }

  func specKeyNode(_ editor: MappingEditor, object: NodeID, path: [String]) -> NodeID? {
    var current = object
    var key: NodeID?
    for name in path {
      guard let found = editor.lookup(current, name) else { return key }
      key = found.key
      current = editor.document.resolved(found.value)
    }
    return key
  }

  /// Why a node may not be edited: it, or a mapping around it, carries an anchor that an alias
  /// uses, so an edit would change every user of the anchor.
  func sharedReason(_ document: Document, _ node: NodeID) -> String? {
    var current: NodeID? = node
    while let n = current {
      if document.isAliased(n) { return "an anchor around it is used by an alias elsewhere" }
      current = document.parent(n)
    }
    return nil
  }
}
