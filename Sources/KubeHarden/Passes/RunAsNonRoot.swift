import YAMLSource

/// No container may run as UID 0.
///
/// Finding: a container's effective `runAsNonRoot` (its own, else the pod's) is not `true`, or
/// its effective `runAsUser` is unset or 0.
/// Fix: set `runAsNonRoot: true` and `runAsUser: <uid>` (default 10001) at pod level; replace a
/// container's own `runAsNonRoot: false` or `runAsUser: 0`. Never leaves `runAsUser: 0` next to
/// `runAsNonRoot: true` (the kubelet refuses to start that). An explicit UID from 1 to 9999 is
/// reported (checkov CKV_K8S_40 wants 10000 or more) but kept: changing it can break file
/// ownership in the image.
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
      Sets `runAsNonRoot: true` and `runAsUser: <uid>` in the pod's securityContext unless every \
      container is already compliant, and replaces a container's own `runAsNonRoot: false` or \
      `runAsUser: 0`. On Windows pods only runAsNonRoot is written, and only where \
      `windowsOptions.runAsUserName` names a user other than ContainerAdministrator (the kubelet refuses \
      runAsNonRoot for that user, the default of the Windows base images).
      """,
    references: [
      .owasp("K01"), .pss("Running as Non-root", profile: "Restricted"), .pss("Running as Non-root user", profile: "Restricted"),
      .cis("5.2.7"), .checkov("CKV_K8S_23"), .checkov("CKV_K8S_40"),
    ],
    configKeys: [ConfigKey(key: "runAsUser", flag: "--run-as-user", summary: "the UID written (default 10001)")],
    triggering: [
      PassExample(
        PassExample.barePod,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              image: nginx
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
    let uid = context.configuration.runAsUser
    let nonRootPath = ["securityContext", "runAsNonRoot"]
    let userPath = ["securityContext", "runAsUser"]
    var drafts: [Draft] = []
    var podNeedsNonRoot = false
    var podNeedsUser = false
    // Containers whose Windows user makes runAsNonRoot refuse to start them (see windowsBlocker).
    var windowsBlocked: String?
    for container in pod.containers {
      let ownNonRoot = context.bool(container.node, nonRootPath)
      let ownUser = context.value(container.node, userPath).flatMap { context.document.integer($0) }
      var status: FindingStatus = container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable
      if let reason = windowsBlocker(container, pod, context) {
        status = .unfixable(reason: reason)
        if ownNonRoot == nil && windowsBlocked == nil { windowsBlocked = reason }
      }
      if ownNonRoot == false {
        drafts.append(
          Draft(
            message: "\(container.label) sets runAsNonRoot: false", node: context.locate(container.node, nonRootPath), status: status,
            requirements: [Requirement(base: container.node, path: nonRootPath, value: .bool(true))],
            fixTitle: "Set runAsNonRoot: true", applicability: .unsafe))
      } else if ownNonRoot == nil {
        podNeedsNonRoot = true
      }
      if ownUser == 0 && !pod.isWindows {
        drafts.append(
          Draft(
            message: "\(container.label) runs as UID 0", node: context.locate(container.node, userPath), status: status,
            requirements: [Requirement(base: container.node, path: userPath, value: .int(uid))],
            fixTitle: "Set runAsUser: \(uid)", applicability: .unsafe))
      } else if context.value(container.node, userPath) == nil {
        podNeedsUser = true
      } else if let ownUser, ownUser > 0, ownUser < 10000 {
        drafts.append(lowUID(ownUser, container.label, node: context.locate(container.node, userPath)))
      }
    }
    let specNode = pod.specKey ?? pod.spec
    let podStatus: FindingStatus = pod.sharedReason.map { .unfixable(reason: $0) } ?? .fixable
    let podNonRoot = context.bool(pod.spec, nonRootPath)
    if podNonRoot == false || (podNeedsNonRoot && podNonRoot != true) {
      drafts.append(
        Draft(
          message: podNonRoot == false
            ? "\(pod.label) sets runAsNonRoot: false for its pod"
            : "\(pod.label) does not require containers to run as non-root (runAsNonRoot)",
          node: podNonRoot == nil ? specNode : context.locate(pod.spec, nonRootPath),
          status: windowsBlocked.map { .unfixable(reason: $0) } ?? podStatus,
          requirements: [Requirement(base: pod.spec, path: nonRootPath, value: .bool(true))],
          fixTitle: "Set the pod's runAsNonRoot: true", applicability: podNonRoot == false ? .unsafe : .safe))
    }
    if pod.isWindows {
      if podNeedsUser { drafts.append(WindowsRules.skipped("runAsUser", pod, node: specNode)) }
    } else {
      let podUserNode = context.value(pod.spec, userPath)
      let podUser = podUserNode.flatMap { context.document.integer($0) }
      if podUser == 0 || (podNeedsUser && podUserNode == nil) {
        drafts.append(
          Draft(
            message: podUser == 0 ? "\(pod.label) runs its pod as UID 0" : "\(pod.label) does not set a non-root runAsUser",
            node: podUserNode == nil ? specNode : context.locate(pod.spec, userPath), status: podStatus,
            requirements: [Requirement(base: pod.spec, path: userPath, value: .int(uid))],
            fixTitle: "Set the pod's runAsUser: \(uid)", applicability: podUser == 0 ? .unsafe : .safe))
      } else if podNeedsUser, let podUser, podUser > 0, podUser < 10000 {
        drafts.append(lowUID(podUser, pod.label, node: context.locate(pod.spec, userPath)))
      }
    }
    return drafts
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

  func lowUID(_ uid: Int, _ label: String, node: NodeID) -> Draft {
    Draft(
      message: "\(label) runs as UID \(uid), below 10000 where it may clash with host users (CKV_K8S_40)", node: node,
      status: .unfixable(reason: "an explicit UID is kept: changing it can break file ownership in the image"))
  }
}
