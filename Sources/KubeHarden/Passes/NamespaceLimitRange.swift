import YAMLSource

/// Every Namespace among the inputs of a run has a LimitRange.
///
/// Finding: a `v1` `Namespace` object (a document, or an item of a `List`) whose namespace no
/// `LimitRange` among the run's inputs names in `metadata.namespace`, outside
/// `limitRange.exclude`. Fix: a LimitRange `default-limits` (`limitRange.name`) right after the
/// Namespace: a new document after it, or a new item of its List, with `type: Container`
/// `default` = the resource-limits pass's default limits and `defaultRequest` = its default
/// requests (so `default` is never below `defaultRequest`: `Configuration.validate`).
/// Fix safety: safe. A JSON file holding the Namespace alone cannot hold a second object: the
/// finding is manual and gives the LimitRange as JSON, for a file of its own.
///
/// The pass looks at objects, not pod specs: the pipeline calls `objects(in:)` for each document
/// and the run decides across files (`NamespaceIndex`); `check` has nothing to say about pods.
struct NamespaceLimitRange: Pass {
  static let id = "namespace-limit-range"

  static let metadata = PassMetadata(
    id: id, title: "Namespaces have a LimitRange",
    rationale: """
      OWASP K01 asks for "a LimitRange to constrain the resource allocations for each applicable object \
      kind in a namespace": it gives every container created without resources a default request and \
      limit, so a pod that slipped past review cannot take its node's memory or CPU. A LimitRange \
      does not check its own defaults: a default limit below a request makes pods unschedulable, so \
      kubeharden writes the resource-limits defaults, whose limits are never below their requests.
      """,
    fixDescription: """
      Adds, right after a Namespace that no LimitRange of the run covers, a LimitRange named \
      `default-limits` (`limitRange.name`) in that namespace with one `type: Container` limit: \
      `default` = the default limits, `defaultRequest` = the default requests (`resources.*`). A new \
      document in the file's style (`---`, indentation, quoting, line breaks), or a new item of the \
      Namespace's List (JSON too). A LimitRange for the namespace in any input of the run, or an \
      earlier Namespace of the same name in the same file, means nothing is added; the same Namespace \
      in two files gets it in both (same name and namespace: one object in the cluster).
      """,
    applicability: """
      Safe, as resource-limits' defaults are: the LimitRange gives containers that set no request or \
      limit the values resource-limits writes into workloads. One risk outside the inputs: a container \
      that requests more than the default limit and sets no limit is refused in that namespace (the \
      default limit would be below its request); resource-limits gives every workload among the inputs \
      its own limit, at least its request. Manual: a Namespace alone in a JSON file (a JSON file \
      holds one object: the finding gives the LimitRange as JSON for a file of its own).
      """,
    references: [
      .owasp("K01"), .kubernetes("Limit Ranges", path: "concepts/policy/limit-range/"),
      .kubernetes(
        "Configure Default Memory Requests and Limits for a Namespace",
        path: "tasks/administer-cluster/manage-resources/memory-default-namespace/"),
    ],
    configKeys: [
      ConfigKey(key: "limitRange.name", flag: nil, summary: "name of the LimitRange it adds (default-limits)"),
      ConfigKey(
        key: "limitRange.exclude", flag: nil,
        summary: "namespaces that get none; replaces the default (kube-system, kube-public, kube-node-lease)"),
      ConfigKey(key: "resources.requests.*, resources.limits.*", flag: nil, summary: "the defaults it writes (as resource-limits)"),
    ],
    triggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-a
        """,
        fixed: """
          apiVersion: v1
          kind: Namespace
          metadata:
            name: team-a
          ---
          apiVersion: v1
          kind: LimitRange
          metadata:
            name: default-limits
            namespace: team-a
          spec:
            limits:
            - type: Container
              default:
                cpu: 500m
                memory: 512Mi
              defaultRequest:
                cpu: 200m
                memory: 256Mi
          """),
      PassExample(
        """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Namespace
            metadata:
              name: team-b
        """,
        fixed: """
          apiVersion: v1
          kind: List
          items:
            - apiVersion: v1
              kind: Namespace
              metadata:
                name: team-b
            - apiVersion: v1
              kind: LimitRange
              metadata:
                name: default-limits
                namespace: team-b
              spec:
                limits:
                  - type: Container
                    default:
                      cpu: 500m
                      memory: 512Mi
                    defaultRequest:
                      cpu: 200m
                      memory: 256Mi
          """),
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-a
        ---
        apiVersion: v1
        kind: LimitRange
        metadata:
          name: limits
          namespace: team-a
        spec:
          limits:
          - type: Container
            default: {memory: 1Gi}
        """),
      PassExample(
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: kube-system
        """),
      PassExample(
        """
        apiVersion: example.com/v1
        kind: Namespace
        metadata:
          name: not-the-core-kind
        """),
    ])

  /// Namespaces hold no pod spec: this pass reads whole objects (see the type's comment).
  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] { [] }

  /// The Namespace and LimitRange objects of a document (its root, or the items of a `List`).
  struct Objects {
    /// Namespace objects: the mapping, its name, and the `items` sequence when it is a List item.
    var namespaces: [(object: NodeID, name: String, list: NodeID?)] = []
    /// The `metadata.namespace` of each LimitRange (nil when it names none).
    var limitRanges: [String?] = []
    var isEmpty: Bool { namespaces.isEmpty && limitRanges.isEmpty }
  }

  /// Reads the document's objects. One `kind` lookup on documents of other kinds (the hot path).
  static func objects(in editor: MappingEditor) -> Objects {
    var found = Objects()
    guard let root = editor.document.root else { return found }
    let document = editor.document
    func visit(_ node: NodeID, list: NodeID?) {
      let object = document.resolved(node)
      guard document.isMapping(object), let kind = editor.lookup(object, "kind")?.value, document.isScalar(kind) else { return }
      if list == nil, let items = listItems(editor, object: object, kind: kind) {
        for item in document.items(items) { visit(item, list: items) }
        return
      }
      let isNamespace = document.scalar(kind, equals: "Namespace")
      guard isNamespace || document.scalar(kind, equals: "LimitRange") else { return }
      // Both are core `v1` kinds (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/namespace-v1/,
      // .../policy-resources/limit-range-v1/): a same-named kind of another group is another object.
      guard let apiVersion = editor.lookup(object, "apiVersion")?.value, document.scalar(apiVersion, equals: "v1") else { return }
      if isNamespace {
        guard let name = editor.value(at: ["metadata", "name"], in: object).flatMap({ document.string($0) }), !name.isEmpty else { return }
        found.namespaces.append((object, name, list))
      } else {
        found.limitRanges.append(editor.value(at: ["metadata", "namespace"], in: object).flatMap { document.string($0) })
      }
    }
    visit(root, list: nil)
    return found
  }

  /// The `items` sequence of a `List` or `*List` object. The kind's bytes are read in place:
  /// this runs for every document.
  static func listItems(_ editor: MappingEditor, object: NodeID, kind: NodeID) -> NodeID? {
    let document = editor.document
    guard document.valueBytes(kind).reversed().starts(with: "tsiL".utf8), let items = editor.lookup(object, "items")?.value
    else { return nil }
    let sequence = document.resolved(items)
    return document.isSequence(sequence) ? sequence : nil
  }

  /// The LimitRange for `namespace`: the configured name, one `Container` limit with the
  /// resource-limits defaults (`default` = limits, `defaultRequest` = requests; the API's
  /// `LimitRangeItem` fields, https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/limit-range-v1/).
  static func limitRange(for namespace: String, configuration: Configuration) -> [NewEntry] {
    let resources = configuration.resources
    return [
      NewEntry("apiVersion", .string("v1")),
      NewEntry("kind", .string("LimitRange")),
      NewEntry(
        "metadata", .mapping([NewEntry("name", .string(configuration.limitRange.name)), NewEntry("namespace", .string(namespace))])),
      NewEntry(
        "spec",
        .mapping([
          NewEntry(
            "limits",
            .sequence([
              .mapping([
                NewEntry("type", .string("Container")),
                NewEntry(
                  "default",
                  .mapping([
                    NewEntry("cpu", .string(resources.cpuLimit.description)),
                    NewEntry("memory", .string(resources.memoryLimit.description)),
                  ])),
                NewEntry(
                  "defaultRequest",
                  .mapping([
                    NewEntry("cpu", .string(resources.cpuRequest.description)),
                    NewEntry("memory", .string(resources.memoryRequest.description)),
                  ])),
              ])
            ]))
        ])),
    ]
  }
}
