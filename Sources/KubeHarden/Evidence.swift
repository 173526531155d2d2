import YAMLSource

/// What a pod's manifest says about what its workload needs, computed once per pod and read by
/// every pass that adds privilege or identity settings, so that a fix never breaks a workload
/// that works:
/// - host access (`hostNetwork`, `hostPID`, `hostIPC`, `hostPath` volumes): a node agent; no
///   container of the pod gets new privilege or identity fields, and the pod no new
///   `runAsNonRoot`/`runAsUser`, not even with `--unsafe-fixes`;
/// - powerful added capabilities (`SYS_ADMIN`, `NET_ADMIN`, `NET_RAW`, `SYS_PTRACE`,
///   `SYS_MODULE`): the same for that container alone;
/// - explicit privilege or root (`privileged: true`, `runAsUser: 0`, `runAsNonRoot: false`, the
///   container's own or the pod's): the workload's choice; its fixes are unsafe;
/// - extended resources (`nvidia.com/gpu`, `google.com/tpu`): no default cpu or memory limit;
/// - the image's profile (`ImageCatalog`).
public struct PodEvidence: Sendable {
  /// One reason, with the node it was read from.
  public struct Item: Sendable, Hashable {
    public var what: String
    public var node: NodeID
  }

  /// Host access of the pod: every container is treated as a node agent.
  public var hostAccess: [Item] = []
  /// Powerful added capabilities, per container node.
  var capabilities: [NodeID: [Item]] = [:]
  /// The explicit privilege or root setting that reaches a container, per container node.
  var explicitChoice: [NodeID: Item] = [:]
  /// Extended resources requested or limited, per container node.
  var accelerators: [NodeID: [String]] = [:]
  /// The image profile of each container whose image is known.
  var images: [NodeID: ImageProfile] = [:]
  /// The pod's own explicit root setting (`runAsUser: 0`, `runAsNonRoot: false`), if any.
  public var podExplicitRoot: Item?

  /// Capabilities whose addition marks a container that cannot be made unprivileged by an edit.
  public static let powerfulCapabilities: Set<String> = ["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_MODULE"]

  public init() {}

  /// `keys`: the rarely written keys of the pod's document (`DocumentKeys`); what is not
  /// written there is not looked up.
  public init(pod: PodSpecView, editor: MappingEditor, images catalog: ImageCatalog, keys: DocumentKeys = .all) {
    let document = editor.document
    func value(_ base: NodeID, _ path: [String]) -> NodeID? { editor.value(at: path, in: base) }
    func isTrue(_ base: NodeID, _ path: [String]) -> NodeID? {
      guard let node = value(base, path), document.bool(node) == true else { return nil }
      return node
    }
    for (field, key) in [("hostNetwork", DocumentKeys.hostNetwork), ("hostPID", .hostPID), ("hostIPC", .hostIPC)] where keys.contains(key) {
      if let node = isTrue(pod.spec, [field]) { hostAccess.append(Item(what: "\(field): true", node: node)) }
    }
    // A Windows HostProcess container runs on the host itself (as the pod or a container says).
    if keys.contains(.hostProcess), let node = isTrue(pod.spec, WorkloadLocator.hostProcessPath) {
      hostAccess.append(Item(what: "windowsOptions.hostProcess: true", node: node))
    }
    for container in pod.containers where keys.contains(.hostProcess) {
      if let node = isTrue(container.node, WorkloadLocator.hostProcessPath) {
        hostAccess.append(Item(what: "\(container.label) sets windowsOptions.hostProcess: true", node: node))
      }
    }
    if keys.contains(.hostPath), let volumes = value(pod.spec, ["volumes"]) {
      for item in document.items(volumes) {
        let volume = document.resolved(item)
        guard let hostPath = editor.lookup(volume, "hostPath") else { continue }
        let path = value(document.resolved(hostPath.value), ["path"]).flatMap { document.string($0) } ?? ""
        let name = value(volume, ["name"]).flatMap { document.string($0) } ?? "?"
        hostAccess.append(Item(what: "hostPath volume '\(name)'\(path.isEmpty ? "" : " (\(path))")", node: hostPath.key))
      }
    }
    let podUser = value(pod.spec, ["securityContext", "runAsUser"])
    let podNonRoot = value(pod.spec, ["securityContext", "runAsNonRoot"])
    if let podUser, document.integer(podUser) == 0 {
      podExplicitRoot = Item(what: "the pod's runAsUser: 0", node: podUser)
    } else if let podNonRoot, document.bool(podNonRoot) == false {
      podExplicitRoot = Item(what: "the pod's runAsNonRoot: false", node: podNonRoot)
    }
    for container in pod.containers {
      let node = container.node
      if keys.contains(.capabilities), let add = value(node, ["securityContext", "capabilities", "add"]) {
        for item in document.items(add) {
          let item = document.resolved(item)
          guard let name = document.string(item) else { continue }
          let bare = name.hasPrefix("CAP_") ? String(name.dropFirst(4)) : name
          if Self.powerfulCapabilities.contains(bare.uppercased()) {
            capabilities[node, default: []].append(Item(what: "adds capability \(name)", node: item))
          }
        }
      }
      // The container's own setting wins over the pod's (as the kubelet reads them).
      let user = value(node, ["securityContext", "runAsUser"])
      let nonRoot = value(node, ["securityContext", "runAsNonRoot"])
      if let privileged = isTrue(node, ["securityContext", "privileged"]) {
        explicitChoice[node] = Item(what: "privileged: true", node: privileged)
      } else if let user, document.integer(user) == 0 {
        explicitChoice[node] = Item(what: "runAsUser: 0", node: user)
      } else if let nonRoot, document.bool(nonRoot) == false {
        explicitChoice[node] = Item(what: "runAsNonRoot: false", node: nonRoot)
      } else if let podExplicitRoot {
        let overridden =
          podExplicitRoot.node == podUser
          ? user.flatMap { document.integer($0) }.map { $0 > 0 } ?? false
          : nonRoot.flatMap { document.bool($0) } == true
        if !overridden { explicitChoice[node] = podExplicitRoot }
      }
      var extended: [String] = []
      for group in ["requests", "limits"] {
        guard let resources = value(node, ["resources", group]), document.isMapping(resources) else { continue }
        for entry in document.eachEntry(resources) {
          if let name = document.string(entry.key), name.contains("/"), !extended.contains(name) { extended.append(name) }
        }
      }
      if !extended.isEmpty { accelerators[node] = extended }
      if let image = value(node, ["image"]).flatMap({ document.string($0) }), let profile = catalog.profile(for: image) {
        images[node] = profile
      }
    }
  }

  /// Why no privilege or identity setting may be added to `container`, even as an unsafe fix:
  /// the pod's host access, or the container's powerful capabilities. Empty when there is none.
  public func needsPrivileges(_ container: ContainerView) -> [Item] {
    hostAccess + (capabilities[container.node] ?? [])
  }

  /// The container's explicit privilege or root setting (its own, or the pod's that reaches it).
  public func explicitChoice(_ container: ContainerView) -> Item? { explicitChoice[container.node] }

  /// Extended resources (`nvidia.com/gpu`) the container requests or limits.
  public func accelerators(_ container: ContainerView) -> [String] { accelerators[container.node] ?? [] }

  /// The profile of the container's image, when known.
  public func image(_ container: ContainerView) -> ImageProfile? { images[container.node] }

  /// How a new privilege or identity setting for `container` may be written: `nil` when it may
  /// not be written at all (evidence that the workload needs privileges), `.unsafe` when the
  /// container explicitly chose privilege or root, `.safe` otherwise.
  public func applicability(forNewSettingOn container: ContainerView) -> Applicability? {
    if !needsPrivileges(container).isEmpty { return nil }
    return explicitChoice(container) == nil ? .safe : .unsafe
  }
}
