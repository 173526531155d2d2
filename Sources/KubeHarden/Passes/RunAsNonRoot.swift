import YAMLSource

/// No container may run as UID 0.
///
/// Finding: a container's effective `runAsNonRoot` (its own, else the pod's) is not `true`, or
/// it is made non-root without a UID to start as; an explicit `runAsNonRoot: false` or
/// `runAsUser: 0`; an explicit UID below `minRunAsUser` (a note).
/// Fix: `runAsNonRoot: true` and a UID, chosen per container from its image's profile
/// (`Identity`), at pod level where that reaches only containers that may get it, else per
/// container. Never a UID where runAsNonRoot is already true: that would change who a compliant
/// process runs as. Explicit values are flipped only as unsafe fixes; pods that use the host
/// and containers with powerful capabilities get nothing (`PodEvidence`). Never leaves
/// `runAsUser: 0` next to a new `runAsNonRoot: true` (the kubelet refuses to start that).
struct RunAsNonRoot: Pass {
  static let metadata = PassMetadata(
    id: "run-as-non-root", title: "Containers run as a non-root user",
    rationale: """
      A container that runs as root is root on the node once it escapes, and root inside can modify \
      its own binaries. runAsNonRoot: true makes the kubelet refuse to start a container as UID 0; a \
      high runAsUser (10000 or more) avoids clashing with users on the host. Images that need root \
      fail with "container has runAsNonRoot and image will run as root": rebuild them, or exempt them.
      """,
    fixDescription: """
      Sets `runAsNonRoot: true` and a `runAsUser` (the image's own non-root UID when known, else \
      the configured one) in the pod's securityContext, or in each container's where a pod-level \
      value would reach a container that must not get it; replaces a container's own \
      `runAsNonRoot: false` or `runAsUser: 0` (unsafe). On Windows pods only runAsNonRoot is written, and only where \
      `windowsOptions.runAsUserName` names a user other than ContainerAdministrator (the kubelet refuses \
      runAsNonRoot for that user, the default of the Windows base images).
      """,
    applicability: """
      Safe: runAsNonRoot: true and a UID where neither is set: the image's own non-root UID when \
      its profile knows it, the configured runAsUser (10001) otherwise; never a UID where runAsNonRoot is \
      already true (the image runs as its own user: kept). Written at pod level where it reaches only \
      containers that may get it, on each container otherwise. Unsafe: flipping an explicit \
      runAsNonRoot: false or runAsUser: 0; the documented non-root mode of an image that starts as root \
      (its UID and fsGroup, e.g. postgres 999); any new setting on a container that explicitly runs \
      privileged or as root. Manual: pods that use the host and containers that add powerful \
      capabilities (privileged-workload); images that need root (the message names the unprivileged \
      variant); Windows containers that run as ContainerAdministrator. An explicit UID below \
      minRunAsUser (10000) is kept and reported as a note.
      """,
    references: [
      .owasp("K01"), .pss("Running as Non-root", profile: "Restricted"), .pss("Running as Non-root user", profile: "Restricted"),
      .cis("5.2.7"), .checkov("CKV_K8S_23"), .checkov("CKV_K8S_40"),
    ],
    configKeys: [
      ConfigKey(key: "runAsUser", flag: "--run-as-user", summary: "the UID written for images kubeharden does not know (default 10001)"),
      ConfigKey(key: "minRunAsUser", flag: nil, summary: "explicit UIDs below it are reported as a note (default 10000, checkov CKV_K8S_40)"),
      ConfigKey(key: "images", flag: nil, summary: "image profiles added to or replacing the built-in ones (Data/image-profiles.yaml)"),
    ],
    podSecurity: PodSecurity(.restricted, checks: ["runAsNonRoot", "runAsUser"]),
    triggering: [
      PassExample(
        PassExample.barePod,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              image: registry.example.com/web:1.0
            securityContext:
              runAsNonRoot: true
              runAsUser: 10001
          """),
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          securityContext:
            runAsNonRoot: true
            runAsUser: 10001
          containers:
          - name: web
            securityContext:
              runAsUser: 0
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            securityContext:
              runAsNonRoot: true
              runAsUser: 10001
            containers:
            - name: web
              securityContext:
                runAsUser: 10001
          """, applicability: .unsafe),
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          securityContext: {runAsNonRoot: true, runAsUser: 20000}
          containers:
          - name: web
        """)
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    let document = context.document
    // A pod that uses the host gets no identity setting at all (privileged-workload says why);
    // an explicit root setting is still reported.
    guard context.evidence.hostAccess.isEmpty else {
      return explicitRoot(of: [(pod.label + "'s pod", pod.spec, nil)] + pod.containers.map { ($0.label, $0.node, $0) }, context)
    }
    let config = context.configuration
    var drafts: [Draft] = []
    // What the containers need, and whether a new pod-level value would reach a container that
    // must not get it (one that needs privileges, or whose image needs root).
    var nonRootNeeds: [(container: ContainerView, applicability: Applicability, status: FindingStatus)] = []
    var userNeeds: [(container: ContainerView, identity: Identity, status: FindingStatus)] = []
    var nonRootBlocked: String?
    var userBlocked: String?
    // Containers whose Windows user makes runAsNonRoot refuse to start them (see windowsBlocker).
    var windowsBlocked: String?
    // Containers compliant through runAsNonRoot alone: they run as their image's own user.
    var keptImageUser: [ContainerView] = []
    let podNonRootNode = context.value(pod.spec, Self.nonRootPath)
    let podNonRoot = podNonRootNode.flatMap { document.bool($0) }
    let podUserNode = context.value(pod.spec, Self.userPath)
    let podUser = podUserNode.flatMap { document.integer($0) }
    for container in pod.containers {
      let ownNonRoot = context.bool(container.node, Self.nonRootPath)
      let ownUserNode = context.value(container.node, Self.userPath)
      let ownUser = ownUserNode.flatMap { document.integer($0) }
      if let first = context.evidence.needsPrivileges(container).first {
        let reason = "\(container.label) \(first.what): a pod-level value would reach it"
        if ownNonRoot == nil { nonRootBlocked = nonRootBlocked ?? reason }
        if ownUserNode == nil { userBlocked = userBlocked ?? reason }
        drafts += explicitRoot(of: [(container.label, container.node, container)], context)
        continue
      }
      var status: FindingStatus = container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable
      if let reason = windowsBlocker(container, pod, context) {
        status = .unfixable(reason: reason)
        if ownNonRoot == nil && windowsBlocked == nil { windowsBlocked = reason }
      }
      // A container that already starts as a non-root UID keeps it, whatever its image does.
      var chosen = (ownUser ?? podUser).flatMap { $0 > 0 ? Identity(uid: $0) : nil } ?? self.identity(container, context)
      if context.evidence.explicitChoice(container) != nil { chosen.applicability = .unsafe }
      let identity = chosen
      if case .unfixable = status {} else if let reason = identity.manual { status = .unfixable(reason: reason) }
      if ownNonRoot == false {
        drafts.append(
          Draft(
            message: "\(container.label) sets runAsNonRoot: false", node: context.locate(container.node, Self.nonRootPath),
            status: status, requirements: [Requirement(base: container.node, path: Self.nonRootPath, value: .bool(true))],
            fixTitle: "Set runAsNonRoot: true", severity: .error, applicability: .unsafe))
      }
      if ownUser == 0 && !pod.isWindows {
        drafts.append(
          Draft(
            message: "\(container.label) runs as UID 0", node: context.locate(container.node, Self.userPath), status: status,
            requirements: identity.requirements(container.node, pod.spec, context), fixTitle: "Set runAsUser: \(identity.uid)\(identity.why)",
            severity: .error, applicability: .unsafe))
      } else if let ownUser, ownUser > 0, ownUser < config.minRunAsUser {
        drafts.append(lowUID(ownUser, container.label, node: context.locate(container.node, Self.userPath), config))
      }
      // Only a container that is not yet non-root is given runAsNonRoot, and only then a UID:
      // where runAsNonRoot is already true, the image runs as its own non-root user; keep it.
      let effectiveNonRoot = ownNonRoot ?? podNonRoot
      if effectiveNonRoot == true && ownUserNode == nil && podUserNode == nil { keptImageUser.append(container) }
      guard ownNonRoot == nil, effectiveNonRoot != true else { continue }
      if identity.manual != nil {
        // Its image needs root: no pod-level value may reach it either.
        let reason = "\(container.label): \(identity.manual ?? "")"
        nonRootBlocked = nonRootBlocked ?? reason
        if ownUserNode == nil { userBlocked = userBlocked ?? reason }
      }
      nonRootNeeds.append((container, identity.applicability, status))
      // One manual finding per container is enough: its image needs root whatever the field.
      if ownUserNode == nil && (podUser ?? 0) == 0 && identity.manual == nil { userNeeds.append((container, identity, status)) }
    }
    if let first = keptImageUser.first, !pod.isWindows {
      let names = keptImageUser.map { "'\($0.name)'" }.joined(separator: ", ")
      drafts.append(
        Draft(
          message: "\(pod.label) runs \(names) as their images' own users (runAsNonRoot: true, no runAsUser)",
          node: podNonRoot == true ? context.locate(pod.spec, Self.nonRootPath) : context.locate(first.node, Self.nonRootPath),
          status: .unfixable(
            reason:
              "kept: a new runAsUser would change who a compliant process runs as; set one (\(config.minRunAsUser) or more, CKV_K8S_40) where the image allows it"
          ), severity: .note))
    }
    drafts += podNonRootDrafts(pod, context, podNonRoot: podNonRoot, needs: nonRootNeeds, blocked: nonRootBlocked, windows: windowsBlocked)
    if pod.isWindows {
      if !userNeeds.isEmpty && podUserNode == nil { drafts.append(WindowsRules.skipped("runAsUser", pod, node: pod.specKey ?? pod.spec)) }
    } else {
      drafts += podUserDrafts(pod, context, podUser: podUser, podUserNode: podUserNode, needs: userNeeds, blocked: userBlocked)
    }
    return drafts
  }

  /// The explicit `runAsUser: 0` / `runAsNonRoot: false` of a node agent (a pod that uses the
  /// host, or a container with powerful capabilities): manual findings (kept).
  func explicitRoot(of places: [(label: String, base: NodeID, container: ContainerView?)], _ context: PassContext) -> [Draft] {
    let document = context.document
    var drafts: [Draft] = []
    for (label, base, container) in places {
      let reason = container.map { "kept: \(NodeAgent.reason($0, context))" } ?? "kept: the pod uses the host (see privileged-workload)"
      if let node = context.value(base, Self.userPath), document.integer(node) == 0 {
        drafts.append(Draft(message: "\(label) runs as UID 0", node: node, status: .unfixable(reason: reason), severity: .error))
      }
      if let node = context.value(base, Self.nonRootPath), document.bool(node) == false {
        drafts.append(Draft(message: "\(label) sets runAsNonRoot: false", node: node, status: .unfixable(reason: reason), severity: .error))
      }
    }
    return drafts
  }

  static let nonRootPath = ["securityContext", "runAsNonRoot"]
  static let userPath = ["securityContext", "runAsUser"]

  /// runAsNonRoot: at pod level where it reaches only containers that may get it, all with the
  /// same applicability; on each container otherwise. An explicit `false` of the pod is flipped
  /// as an unsafe fix.
  func podNonRootDrafts(
    _ pod: PodSpecView, _ context: PassContext, podNonRoot: Bool?,
    needs: [(container: ContainerView, applicability: Applicability, status: FindingStatus)], blocked: String?, windows: String?
  ) -> [Draft] {
    let podStatus: FindingStatus = pod.sharedReason.map { .unfixable(reason: $0) } ?? windows.map { .unfixable(reason: $0) } ?? .fixable
    let requirement = Requirement(base: pod.spec, path: Self.nonRootPath, value: .bool(true))
    if podNonRoot == false {
      return [
        Draft(
          message: "\(pod.label) sets runAsNonRoot: false for its pod", node: context.locate(pod.spec, Self.nonRootPath),
          status: blocked.map { .unfixable(reason: $0) } ?? podStatus, requirements: [requirement],
          fixTitle: "Set the pod's runAsNonRoot: true", severity: .error, applicability: .unsafe)
      ]
    }
    guard podNonRoot == nil, let first = needs.first else { return [] }
    let uniform = needs.allSatisfy { $0.applicability == first.applicability && !$0.status.isExempted }
    if blocked == nil && uniform && needs.allSatisfy({ $0.status.reason == nil || $0.status.reason == windows }) {
      return [
        Draft(
          message: "\(pod.label) does not require containers to run as non-root (runAsNonRoot)", node: pod.specKey ?? pod.spec,
          status: podStatus, requirements: [requirement], fixTitle: "Set the pod's runAsNonRoot: true", applicability: first.applicability)
      ]
    }
    return needs.map { need in
      Draft(
        message: "\(need.container.label) does not require running as non-root (runAsNonRoot)", node: need.container.node,
        status: need.status, requirements: [Requirement(base: need.container.node, path: Self.nonRootPath, value: .bool(true))],
        fixTitle: "Set runAsNonRoot: true", applicability: need.applicability)
    }
  }

  /// runAsUser, chosen per container (the image's own non-root UID, else the configured one): at
  /// pod level where every container it reaches gets the same UID with the same applicability;
  /// on each container otherwise. The pod's explicit `runAsUser: 0` is flipped as an unsafe fix.
  func podUserDrafts(
    _ pod: PodSpecView, _ context: PassContext, podUser: Int?, podUserNode: NodeID?,
    needs: [(container: ContainerView, identity: Identity, status: FindingStatus)], blocked: String?
  ) -> [Draft] {
    let podStatus: FindingStatus = pod.sharedReason.map { .unfixable(reason: $0) } ?? .fixable
    let first = needs.first
    let uniform = needs.allSatisfy { $0.identity == first?.identity && $0.status.isFixable }
    if podUser == 0 {
      let identity = uniform ? first?.identity ?? Identity(uid: context.configuration.runAsUser) : Identity(uid: context.configuration.runAsUser)
      return [
        Draft(
          message: "\(pod.label) runs its pod as UID 0", node: context.locate(pod.spec, Self.userPath),
          status: blocked.map { .unfixable(reason: $0) } ?? (identity.manual.map { .unfixable(reason: $0) } ?? podStatus),
          requirements: identity.requirements(nil, pod.spec, context), fixTitle: "Set the pod's runAsUser: \(identity.uid)\(identity.why)",
          severity: .error, applicability: .unsafe)
      ]
    }
    if let podUser, podUser > 0, podUser < context.configuration.minRunAsUser,
      pod.containers.contains(where: { context.value($0.node, Self.userPath) == nil }), let podUserNode
    {
      return [lowUID(podUser, pod.label, node: context.locate(pod.spec, Self.userPath), context.configuration)]
    }
    guard podUserNode == nil, let first else { return [] }
    if blocked == nil && uniform {
      return [
        Draft(
          message: "\(pod.label) does not set a non-root runAsUser", node: pod.specKey ?? pod.spec, status: podStatus,
          requirements: first.identity.requirements(nil, pod.spec, context),
          fixTitle: "Set the pod's runAsUser: \(first.identity.uid)\(first.identity.why)", applicability: first.identity.applicability)
      ]
    }
    return needs.map { need in
      Draft(
        message: "\(need.container.label) does not set a non-root runAsUser", node: need.container.node, status: need.status,
        requirements: need.identity.requirements(need.container.node, pod.spec, context),
        fixTitle: "Set runAsUser: \(need.identity.uid)\(need.identity.why)", applicability: need.identity.applicability)
    }
  }

  /// Why runAsNonRoot must not be written for a container of a Windows pod, if it must not: the
  /// kubelet refuses to start a Windows container under runAsNonRoot when its user is
  /// ContainerAdministrator, which is the default user of the Windows base images. So it is
  /// written only where `windowsOptions.runAsUserName` (the container's, else the pod's) names
  /// another user.
  func windowsBlocker(_ container: ContainerView, _ pod: PodSpecView, _ context: PassContext) -> String? {
    guard pod.isWindows else { return nil }
    let path = ["securityContext", "windowsOptions", "runAsUserName"]
    let user = (context.value(container.node, path) ?? context.value(pod.spec, path)).flatMap { context.document.string($0) }
    guard let user else {
      return
        "on Windows the kubelet refuses runAsNonRoot for a container that runs as ContainerAdministrator, the default user of the Windows base images; set securityContext.windowsOptions.runAsUserName (e.g. ContainerUser) first"
    }
    guard user.lowercased() != "containeradministrator" else {
      return "\(container.label) runs as ContainerAdministrator: the kubelet refuses runAsNonRoot for it; run it as another user (e.g. ContainerUser) first"
    }
    return nil
  }

  /// An explicit non-root UID below `minRunAsUser`: compliant with the Pod Security Standards,
  /// kept (changing it can break file ownership in the image), and a note.
  func lowUID(_ uid: Int, _ label: String, node: NodeID, _ config: Configuration) -> Draft {
    Draft(
      message: "\(label) runs as UID \(uid), below \(config.minRunAsUser) where it may clash with host users (CKV_K8S_40)", node: node,
      status: .unfixable(reason: "an explicit UID is kept: changing it can break file ownership in the image"), severity: .note)
  }
}
