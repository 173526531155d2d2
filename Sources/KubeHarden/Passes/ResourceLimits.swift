import YAMLSource

/// Every container has cpu and memory requests and limits, and no limit is below its request.
///
/// Finding: a container lacks `resources.requests.cpu`, `.memory`, `resources.limits.cpu` or
/// `.memory`. Fix: insert the configured default (requests 200m/256Mi, limits 500m/512Mi), raised
/// to an existing request when that request is above the default limit, lowered to an existing
/// limit when that limit is below the default request. Existing values are never changed.
/// A container that requests an extended resource (`nvidia.com/gpu`, `google.com/tpu`) gets no
/// default limit (a manual finding asks for one sized for its model); requests are still added.
/// Ephemeral containers are skipped: the API forbids resources on them.
struct ResourceLimits: Pass {
  static let metadata = PassMetadata(
    id: "resource-limits", title: "Containers have cpu and memory requests and limits",
    rationale: """
      Without limits one container can starve its node (denial of service); without requests the \
      scheduler cannot place pods safely. Defaults are a starting point: tune them per workload.
      """,
    fixDescription: """
      Inserts missing `resources.requests.cpu/memory` and `resources.limits.cpu/memory`. A written limit \
      is never below an existing request, and a written request never above an existing limit.
      """,
    applicability: """
      Safe: every missing request and limit, a limit never below a request. Manual: limits of a \
      container that requests an accelerator (nvidia.com/gpu, google.com/tpu: size them for the \
      model), values that are not quantities, and limits already below their requests.
      """,
    references: [
      .owasp("K01"), .checkov("CKV_K8S_10"), .checkov("CKV_K8S_11"),
      .checkov("CKV_K8S_12"), .checkov("CKV_K8S_13"),
    ],
    configKeys: [
      ConfigKey(key: "resources.requests.cpu", flag: "--cpu-request", summary: "default cpu request (200m)"),
      ConfigKey(key: "resources.requests.memory", flag: "--memory-request", summary: "default memory request (256Mi)"),
      ConfigKey(key: "resources.limits.cpu", flag: "--cpu-limit", summary: "default cpu limit (500m)"),
      ConfigKey(key: "resources.limits.memory", flag: "--memory-limit", summary: "default memory limit (512Mi)"),
    ],
    triggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            resources: {}
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              resources:
                requests:
                  cpu: 200m
                  memory: 256Mi
                limits:
                  cpu: 500m
                  memory: 512Mi
          """),
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            resources:
              requests:
                cpu: "2"
                memory: 100Mi
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              resources:
                requests:
                  cpu: "2"
                  memory: 100Mi
                limits:
                  cpu: "2"
                  memory: 512Mi
          """),
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 100m, memory: 1Gi}
              limits: {cpu: "1", memory: 1Gi}
        """)
    ])

  /// The request and limit paths of each resource, built once.
  static let paths: [(resource: String, request: [String], limit: [String])] = ["cpu", "memory"].map {
    ($0, ["resources", "requests", $0], ["resources", "limits", $0])
  }

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    var drafts: [Draft] = []
    let defaults = context.configuration.resources
    for container in pod.containers where container.group != .ephemeralContainers {
      let status: FindingStatus = container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable
      let accelerators = context.evidence.accelerators(container)
      for (resource, requestPath, limitPath) in ResourceLimits.paths {
        let requestNode = context.value(container.node, requestPath)
        let limitNode = context.value(container.node, limitPath)
        func quantity(_ node: NodeID?, _ kind: String) -> Quantity?? {
          guard let node else { return .some(nil) }
          guard let q = context.document.string(node).flatMap(Quantity.init) else {
            drafts.append(
              Draft(
                message: "\(container.label) has a \(resource) \(kind) that is not a quantity",
                node: node, status: .unfixable(reason: "the existing value cannot be read as a Kubernetes quantity")))
            return nil
          }
          return q
        }
        // Both values are read (and each unreadable one reported) before giving up.
        let readRequest = quantity(requestNode, "requests")
        let readLimit = quantity(limitNode, "limits")
        guard let request = readRequest, let limit = readLimit else { continue }
        if let request, let limit {
          if limit < request {
            drafts.append(
              Draft(
                message: "\(container.label) has a \(resource) limit \(limit) below its request \(request)",
                node: limitNode ?? container.node,
                status: .unfixable(reason: "existing values are never lowered; raise the limit or lower the request by hand"),
                severity: .error))
          }
          continue
        }
        if requestNode == nil {
          let value = text(limit.map { Swift.min($0, defaults.request(resource)) } ?? defaults.request(resource))
          drafts.append(
            Draft(
              message: "\(container.label) has no \(resource) request", node: context.locate(container.node, requestPath),
              status: status, requirements: [Requirement(base: container.node, path: requestPath, value: .string(value))],
              fixTitle: "Set resources.requests.\(resource): \(value)"))
        }
        if limitNode == nil, !accelerators.isEmpty {
          // A model server's memory is its model: a default limit would OOM-kill it at start.
          drafts.append(
            Draft(
              message: "\(container.label) has no \(resource) limit", node: context.locate(container.node, limitPath),
              status: .unfixable(
                reason:
                  "it requests \(accelerators.joined(separator: ", ")): set a \(resource) limit sized for its model and data; a default limit would stop it"
              )))
        } else if limitNode == nil {
          let value = text(request.map { Swift.max($0, defaults.limit(resource)) } ?? defaults.limit(resource))
          drafts.append(
            Draft(
              message: "\(container.label) has no \(resource) limit", node: context.locate(container.node, limitPath),
              status: status, requirements: [Requirement(base: container.node, path: limitPath, value: .string(value))],
              fixTitle: "Set resources.limits.\(resource): \(value)"))
        }
      }
    }
    return drafts
  }

  /// The text written for a quantity: as configured or found when it is already a plain
  /// integer-with-suffix form, the canonical form otherwise (never a float like `0.5`).
  func text(_ q: Quantity) -> String {
    let written = q.description.utf8
    let decimal = written.contains(UInt8(ascii: ".")) || written.contains(UInt8(ascii: "e"))
    let exponent = written.contains(UInt8(ascii: "E")) && written.last != UInt8(ascii: "E")  // `1E` is the exa suffix
    return decimal || exponent ? q.canonical : q.description
  }
}
