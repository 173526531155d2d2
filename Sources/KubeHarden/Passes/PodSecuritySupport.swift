import YAMLSource

/// Helpers shared by the Pod Security Standards passes that report host access and other
/// settings an edit cannot decide (`host-namespaces`, `host-ports`, `sysctls`, ...).
///
/// Every value is read as the Pod Security Admission library reads the decoded object: a field
/// that is absent, `null` or the empty string is "undefined".
extension PassContext {
  /// The string at `path` under `base`; `nil` when absent, null or not a scalar.
  func string(_ base: NodeID, _ path: [String]) -> String? {
    guard let node = value(base, path), document.isScalar(node), !document.isNull(node) else { return nil }
    return document.string(node)
  }

  /// The resolved items of the sequence at `path` under `base` (none when it is not a sequence).
  func items(_ base: NodeID, _ path: [String]) -> [NodeID] {
    guard let node = value(base, path) else { return [] }
    return document.items(document.resolved(node)).map { document.resolved($0) }
  }

  /// The mapping at `path` under `base`, if the value there is one.
  func mapping(_ base: NodeID, _ path: [String]) -> NodeID? {
    guard let node = value(base, path).map({ document.resolved($0) }), document.isMapping(node) else { return nil }
    return node
  }

  /// The pod spec's volumes, each with its name and its source keys (every key but `name`).
  func volumes(_ pod: PodSpecView) -> [(volume: NodeID, name: String, sources: [MappingEntry])] {
    items(pod.spec, ["volumes"]).filter { document.isMapping($0) }.map { volume in
      let name = string(volume, ["name"]) ?? "?"
      let sources = document.entries(volume).filter { document.string($0.key) != "name" }
      return (volume, name, sources)
    }
  }

  /// The annotations mapping of the pod's own metadata (a Pod's, or a template's), which is what
  /// the Pod Security Admission library reads (`podMetadata`).
  func podAnnotations(_ pod: PodSpecView) -> NodeID? {
    let podMetadata = pod.kind == "Pod" || pod.metadata.count < 2 ? pod.metadata.first : pod.metadata.last
    return podMetadata.flatMap { mapping($0, ["annotations"]) }
  }

  /// A user namespace pod (`hostUsers: false`): the baseline procMount check and the restricted
  /// runAsNonRoot/runAsUser checks relax for it (PSA `relaxPolicyForUserNamespacePod`, policy ≥ 1.35).
  func isUserNamespacePod(_ pod: PodSpecView) -> Bool { bool(pod.spec, ["hostUsers"]) == false }
}

extension Draft {
  /// A finding no edit can resolve: `remedy` says what a person must do.
  static func manual(_ message: @escaping @Sendable @autoclosure () -> String, at node: NodeID, remedy: String) -> Draft {
    Draft(message: message(), node: node, status: .unfixable(reason: remedy))
  }
}

extension PassExample {
  /// A triggering example whose finding is manual: `fix` leaves it as it is.
  static func unchanged(_ text: String) -> PassExample { PassExample(text, fixed: text) }

  /// A Pod whose spec is `spec` (indented by two spaces under `spec:`).
  static func pod(_ spec: String) -> String {
    "apiVersion: v1\nkind: Pod\nspec:\n" + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
  }
}
