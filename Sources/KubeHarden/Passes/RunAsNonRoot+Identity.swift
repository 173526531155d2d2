import YAMLSource

/// The UID `run-as-non-root` gives a container, and how far that choice can be trusted.
struct Identity: Equatable {
  var uid: Int
  var applicability: Applicability = .safe
  /// The group the image's data volumes must be writable by (its documented non-root mode).
  var fsGroup: Int?
  /// Why this UID, for the fix title: ` (the image nginxinc/nginx-unprivileged's own user)`.
  var why = ""
  /// Why no UID can be chosen (the image needs root), if none can.
  var manual: String?

  /// `runAsUser` on the container (or the pod, when `container` is nil), and the pod's
  /// `fsGroup` where the image needs one and the pod has none.
  func requirements(_ container: NodeID?, _ pod: NodeID, _ context: PassContext) -> [Requirement] {
    var requirements = [Requirement(base: container ?? pod, path: RunAsNonRoot.userPath, value: .int(uid))]
    let fsGroupPath = ["securityContext", "fsGroup"]
    if let fsGroup, context.value(pod, fsGroupPath) == nil {
      requirements.append(Requirement(base: pod, path: fsGroupPath, value: .int(fsGroup)))
    }
    return requirements
  }
}

extension RunAsNonRoot {
  /// The identity for a container: an image that runs as its own non-root user keeps it (safe);
  /// an image that needs root gets none (manual, naming the variant that runs unprivileged); an
  /// image that starts as root and has a documented non-root mode gets that mode's UID (and
  /// fsGroup) as an unsafe fix; an image that defines no user of its own (busybox, alpine,
  /// python) and an unknown image get the configured UID (safe).
  func identity(_ container: ContainerView, _ context: PassContext) -> Identity {
    let configured = Identity(uid: context.configuration.runAsUser)
    guard let image = context.evidence.image(container) else { return configured }
    if image.runsAsNonRoot, let uid = image.uid {
      return Identity(uid: uid, why: " (the own user of \(image.name))")
    }
    if let needsRoot = image.needsRoot {
      let remedy = image.variant.map { "use \($0), which runs as a non-root user" } ?? "rebuild it with a non-root USER, or exempt the container"
      return Identity(uid: configured.uid, manual: "the image \(image.name) runs as root and needs it (\(needsRoot)); \(remedy)")
    }
    if let nonRoot = image.nonRoot {
      return Identity(
        uid: nonRoot.uid, applicability: .unsafe, fsGroup: nonRoot.fsGroup,
        why: " (the non-root mode of \(image.name)\(nonRoot.how.map { ": " + $0 } ?? ""))")
    }
    return configured
  }
}
