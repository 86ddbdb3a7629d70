using System.Globalization;

namespace Overlay.Subnets.Kubernetes;

/// <summary>
/// Settings of <see cref="KubernetesSubnetRegistry"/>. The names follow flanneld's flags and
/// environment (<c>--kube-api-url</c>, <c>--kubeconfig-file</c>, <c>--kube-annotation-prefix</c>,
/// <c>--set-node-network-unavailable</c>, <c>--net-config-path</c>, <c>NODE_NAME</c>,
/// <c>POD_NAME</c>/<c>POD_NAMESPACE</c>, <c>EVENT_QUEUE_DEPTH</c>, <c>CONT_WHEN_CACHE_NOT_READY</c>);
/// <see cref="FromEnvironment"/> reads the environment once. With neither <see cref="ApiUrl"/> nor
/// <see cref="KubeconfigFile"/> the in-cluster configuration is used (<c>KUBERNETES_SERVICE_HOST</c>,
/// <c>KUBERNETES_SERVICE_PORT</c>, the mounted service-account token — re-read when it rotates — and CA).
/// </summary>
public sealed class KubernetesSubnetRegistryOptions
{
    /// <summary>Where flannel's DaemonSet mounts the network configuration.</summary>
    public const string DefaultNetConfPath = "/etc/kube-flannel/net-conf.json";

    /// <summary>flannel's default event queue depth.</summary>
    public const int DefaultEventQueueDepth = 5000;

    /// <summary>This node's name (<c>NODE_NAME</c>, usually from the downward API). When empty, the
    /// node is found through the pod <see cref="PodName"/> in <see cref="PodNamespace"/>.</summary>
    public string? NodeName { get; set; }

    /// <summary>The agent's pod (<c>POD_NAME</c>), used only when <see cref="NodeName"/> is empty.</summary>
    public string? PodName { get; set; }

    /// <summary>The agent pod's namespace (<c>POD_NAMESPACE</c>).</summary>
    public string? PodNamespace { get; set; }

    /// <summary>The API server URL (<c>--kube-api-url</c>); overrides the kubeconfig's server.</summary>
    public string? ApiUrl { get; set; }

    /// <summary>A kubeconfig file (<c>--kubeconfig-file</c>); its current context is used.</summary>
    public string? KubeconfigFile { get; set; }

    /// <summary>The annotation prefix (<c>--kube-annotation-prefix</c>), normalised as flanneld does
    /// (<see cref="KubernetesAnnotationNames.Create(string)"/>).</summary>
    public string AnnotationPrefix { get; set; } = KubernetesAnnotationNames.DefaultPrefix;

    /// <summary>The network configuration file (<c>--net-config-path</c>), read when
    /// <see cref="NetworkConfig"/> is not set.</summary>
    public string NetConfPath { get; set; } = DefaultNetConfPath;

    /// <summary>The network configuration itself, instead of <see cref="NetConfPath"/>.</summary>
    public NetworkConfig? NetworkConfig { get; set; }

    /// <summary>Set the node's <c>NetworkUnavailable</c> condition to False once the lease is
    /// published (<c>--set-node-network-unavailable</c>, default true as flanneld).</summary>
    public bool SetNodeNetworkUnavailable { get; set; } = true;

    /// <summary>When the node has no pod CIDR yet: wait for one (true, the default; logged at every
    /// <see cref="PodCidrPollInterval"/>) or fail at once with flanneld's error "node "X" pod cidr not
    /// assigned" (false).</summary>
    public bool WaitForPodCidr { get; set; } = true;

    /// <summary>How often a node without a pod CIDR is read again while waiting.</summary>
    public TimeSpan PodCidrPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether peers are learned by watching nodes. Off for backends that route nothing
    /// (<c>alloc</c>), as flanneld: then no node is listed or watched.</summary>
    public bool WatchNodes { get; set; } = true;

    /// <summary>Capacity of each lease watcher's event queue (<c>EVENT_QUEUE_DEPTH</c>); when a
    /// consumer lags this far behind, the node watch waits for it.</summary>
    public int EventQueueDepth { get; set; } = DefaultEventQueueDepth;

    /// <summary>How long a lease watcher waits for the first node listing (flanneld: 10 minutes).</summary>
    public TimeSpan CacheSyncTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Continue with an empty node cache when it did not sync in time
    /// (<c>CONT_WHEN_CACHE_NOT_READY=true</c>) instead of failing.</summary>
    public bool ContinueWhenCacheNotReady { get; set; }

    /// <summary>How long writing the node's annotations is retried (flanneld: 30 s, every 3 s).</summary>
    public TimeSpan PatchRetryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest the server may keep one watch open before it is resumed (a random
    /// time between half this and this, as client-go's informers).</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Options from flanneld's environment variables: <c>NODE_NAME</c>, <c>POD_NAME</c>,
    /// <c>POD_NAMESPACE</c>, <c>EVENT_QUEUE_DEPTH</c> (a non-number is an error, ≤ 0 means the default)
    /// and <c>CONT_WHEN_CACHE_NOT_READY</c> (only the exact text <c>true</c> counts).</summary>
    /// <param name="environment">Reads a variable; <see cref="Environment.GetEnvironmentVariable(string)"/> when null.</param>
    /// <returns>New options.</returns>
    /// <exception cref="ArgumentException"><c>EVENT_QUEUE_DEPTH</c> is not a number.</exception>
    public static KubernetesSubnetRegistryOptions FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var options = new KubernetesSubnetRegistryOptions
        {
            NodeName = NullIfEmpty(environment("NODE_NAME")),
            PodName = NullIfEmpty(environment("POD_NAME")),
            PodNamespace = NullIfEmpty(environment("POD_NAMESPACE")),
            ContinueWhenCacheNotReady = environment("CONT_WHEN_CACHE_NOT_READY") == "true",
        };
        if (NullIfEmpty(environment("EVENT_QUEUE_DEPTH")) is { } depthText)
        {
            if (!int.TryParse(depthText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int depth))
            {
                throw new ArgumentException($"EVENT_QUEUE_DEPTH must be a number, not '{depthText}'.", nameof(environment));
            }

            options.EventQueueDepth = depth > 0 ? depth : DefaultEventQueueDepth;
        }

        return options;
    }

    /// <summary>Checks the settings (the same checks as the options validator that
    /// <c>AddKubernetesSubnetRegistry</c> registers).</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it. The first
    /// invalid setting is reported.</exception>
    public void Validate()
    {
        var failures = GetFailures();
        if (failures.Count > 0)
        {
            throw new ArgumentException(failures[0].Message, failures[0].Option);
        }
    }

    /// <summary>Describes the settings (no credentials are part of them).</summary>
    /// <returns>The description.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"NodeName={NodeName ?? "(from pod)"}, ApiUrl={ApiUrl ?? "(none)"}, KubeconfigFile={KubeconfigFile ?? "(none)"}, AnnotationPrefix={AnnotationPrefix}, " +
        $"NetConfPath={(NetworkConfig is null ? NetConfPath : "(given)")}, SetNodeNetworkUnavailable={SetNodeNetworkUnavailable}, WaitForPodCidr={WaitForPodCidr}, WatchNodes={WatchNodes}, EventQueueDepth={EventQueueDepth}");

    /// <summary>Every invalid setting as (option, message).</summary>
    internal List<(string Option, string Message)> GetFailures()
    {
        var failures = new List<(string, string)>();
        if (string.IsNullOrEmpty(NodeName) && (string.IsNullOrEmpty(PodName) || string.IsNullOrEmpty(PodNamespace)))
        {
            failures.Add((nameof(NodeName), "env variables POD_NAME and POD_NAMESPACE must be set (NodeName is empty, so the node is found through the agent's pod)."));
        }

        try
        {
            _ = KubernetesAnnotationNames.Create(AnnotationPrefix ?? string.Empty);
        }
        catch (ArgumentException ex)
        {
            failures.Add((nameof(AnnotationPrefix), $"'{AnnotationPrefix}': {ex.Message.Split(" (Parameter", 2)[0]}"));
        }

        if (ApiUrl is not null && (!Uri.TryCreate(ApiUrl, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add((nameof(ApiUrl), $"'{ApiUrl}' is not an API server URL; expected http(s)://host:port."));
        }

        if (NetworkConfig is null && string.IsNullOrEmpty(NetConfPath))
        {
            failures.Add((nameof(NetConfPath), "NetConfPath must name the net-conf.json file when NetworkConfig is not given."));
        }

        if (EventQueueDepth < 1)
        {
            failures.Add((nameof(EventQueueDepth), $"EventQueueDepth must be at least 1; it is {EventQueueDepth}."));
        }

        foreach ((string name, TimeSpan value) in new[] { (nameof(PodCidrPollInterval), PodCidrPollInterval), (nameof(CacheSyncTimeout), CacheSyncTimeout), (nameof(PatchRetryTimeout), PatchRetryTimeout), (nameof(WatchTimeout), WatchTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add((name, $"{name} must be positive; it is {value}."));
            }
        }

        return failures;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
