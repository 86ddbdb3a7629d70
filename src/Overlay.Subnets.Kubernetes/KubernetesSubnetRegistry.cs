using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Subnets.Kubernetes.Internal;

namespace Overlay.Subnets.Kubernetes;

/// <summary>
/// flannel's Kubernetes subnet manager as an <see cref="ISubnetRegistry"/>. Nothing is allocated:
/// the node's own subnet is its <c>spec.podCIDR(s)</c>, assigned by Kubernetes; the node's lease
/// attributes are published as flannel's node annotations (<c>backend-type</c>, <c>backend-data</c>,
/// <c>public-ip</c>, … under <see cref="KubernetesSubnetRegistryOptions.AnnotationPrefix"/>), written
/// exactly as flanneld writes them through <c>PATCH nodes/&lt;name&gt;/status</c>; peers are the
/// nodes whose <c>kube-subnet-manager</c> annotation is <c>"true"</c>, learned by listing and
/// watching nodes. Overlay nodes and flanneld nodes can share one cluster.
/// </summary>
/// <remarks>
/// <para>A node without a pod CIDR makes <see cref="AcquireLeaseAsync"/> wait (a warning naming the
/// node and what assigns pod CIDRs is logged at every poll) unless
/// <see cref="KubernetesSubnetRegistryOptions.WaitForPodCidr"/> is false. Leases do not expire:
/// <see cref="RenewLeaseAsync"/> returns the lease unchanged and <see cref="ReleaseLeaseAsync"/>
/// leaves the annotations in place, as flanneld. The own node deleted, or its pod CIDR changed, is
/// reported by <see cref="WatchLeasesAsync"/> as the own lease's removal, which a lease keeper
/// treats as a lost lease.</para>
/// <para>RBAC: <c>get</c>, <c>list</c>, <c>watch</c> on <c>nodes</c>, <c>patch</c> on
/// <c>nodes/status</c>, and <c>get</c> on <c>pods</c> when the node is found through the pod.</para>
/// </remarks>
public sealed class KubernetesSubnetRegistry : ISubnetRegistry, IAsyncDisposable
{
    private static readonly TimeSpan PatchRetryInterval = TimeSpan.FromSeconds(3);
    private readonly KubernetesSubnetRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly k8s.Kubernetes _client;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private NetworkConfig? _config;
    private string? _nodeName;
    private NodeInformer? _informer;
    private Lease? _ownLease;
    private bool _disposed;

    /// <summary>Creates the registry; nothing is contacted until the first call.</summary>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <exception cref="ArgumentException">An invalid setting (named).</exception>
    /// <exception cref="SubnetRegistryException">The client configuration cannot be built (kubeconfig
    /// unreadable, or not in a cluster when neither a URL nor a kubeconfig is given).</exception>
    public KubernetesSubnetRegistry(KubernetesSubnetRegistryOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Names = KubernetesAnnotationNames.Create(options.AnnotationPrefix);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KubernetesSubnetRegistry>();
        KubernetesClientConfiguration configuration;
        try
        {
            if (!string.IsNullOrEmpty(options.KubeconfigFile))
            {
                configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeconfigFile, masterUrl: options.ApiUrl);
            }
            else if (!string.IsNullOrEmpty(options.ApiUrl))
            {
                configuration = new KubernetesClientConfiguration { Host = options.ApiUrl };
            }
            else
            {
                configuration = KubernetesClientConfiguration.InClusterConfig();
            }
        }
        catch (Exception ex) when (ex is not ArgumentNullException)
        {
            throw new SubnetRegistryException(
                $"Cannot build the Kubernetes client configuration ({(options.KubeconfigFile is null && options.ApiUrl is null ? "in-cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT and the service-account token" : "kubeconfig " + (options.KubeconfigFile ?? options.ApiUrl))}): {ex.Message}", isTransient: false, ex);
        }

        _client = new k8s.Kubernetes(configuration);
    }

    /// <summary>The annotation names in use.</summary>
    public KubernetesAnnotationNames Names { get; }

    /// <summary>This node's name, once known (from the options, or the agent's pod).</summary>
    public string? NodeName => _nodeName ?? (string.IsNullOrEmpty(_options.NodeName) ? null : _options.NodeName);

    /// <summary>How many times the nodes were listed (the first listing and every re-list after a
    /// <c>410 Gone</c> or a dropped watch); 0 without a node watch.</summary>
    public int NodeListings => _informer?.Lists ?? 0;

    /// <summary>The network configuration: <see cref="KubernetesSubnetRegistryOptions.NetworkConfig"/>,
    /// or the net-conf.json file, parsed as flanneld's kube mode does (no subnet-size checks).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="NetworkConfigException">The file is missing or invalid (its path is named).</exception>
    public async ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_config is not null)
        {
            return _config;
        }

        if (_options.NetworkConfig is { } given)
        {
            return _config = given;
        }

        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(_options.NetConfPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NetworkConfigException(null, $"cannot read the network configuration file {_options.NetConfPath}: {ex.Message}", ex);
        }

        try
        {
            return _config = NetworkConfig.Parse(bytes, _logger);
        }
        catch (NetworkConfigException ex)
        {
            throw new NetworkConfigException(ex.Member, $"{_options.NetConfPath}: {ex.Message}", ex);
        }
    }

    /// <summary>The operator-set <c>node-public-ip</c> and <c>node-public-ipv6</c> annotations of this
    /// node (null when absent or not an address of that family), read once at start-up to choose the
    /// external interface, as flanneld's <c>--public-ip</c>.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The addresses.</returns>
    public async ValueTask<(IPAddress? PublicIP, IPAddress? PublicIPv6)> GetNodePublicAddressesAsync(CancellationToken cancellationToken = default)
    {
        V1Node node = await ReadOwnNodeAsync(cancellationToken).ConfigureAwait(false);
        return (Parse(NodeLeases.Annotation(node, Names.NodePublicIP), AddressFamily.InterNetwork),
            Parse(NodeLeases.Annotation(node, Names.NodePublicIPv6), AddressFamily.InterNetworkV6));

        static IPAddress? Parse(string? text, AddressFamily family) =>
            IPAddress.TryParse(text, out IPAddress? address) && address.AddressFamily == family ? address : null;
    }

    /// <summary>Publishes this node's attributes as flannel's annotations and returns the lease of
    /// its pod CIDRs. Waits for a pod CIDR when none is assigned (see
    /// <see cref="KubernetesSubnetRegistryOptions.WaitForPodCidr"/>). Then, unless disabled, sets the
    /// node's <c>NetworkUnavailable</c> condition to False (a failure there is logged, not thrown).</summary>
    /// <param name="request">The attributes (the backend's data, the public addresses).</param>
    /// <param name="cancellationToken">Cancels waiting and retries.</param>
    /// <returns>The lease: the first IPv4 and first IPv6 pod CIDR for the enabled families; no expiration.</returns>
    /// <exception cref="SubnetRegistryException">The pod CIDRs are unusable or outside the network,
    /// the API server refuses a request (a 403 names the missing RBAC verb and resource), or it does
    /// not answer within the retry time.</exception>
    public async ValueTask<Lease> AcquireLeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        NetworkConfig config = await GetNetworkConfigAsync(cancellationToken).ConfigureAwait(false);
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        string name = NodeName!;

        V1Node node = await WaitForPodCidrAsync(cancellationToken).ConfigureAwait(false);
        (IPNetwork? v4, IPNetwork? v6, string? error) = NodeLeases.ClassifyPodCidrs(node);
        if (error is not null)
        {
            throw new SubnetRegistryException($"node \"{name}\": {error}", isTransient: false);
        }

        IPNetwork? subnet = null;
        IPNetwork? ipv6Subnet = null;
        if (config.EnableIPv4)
        {
            subnet = CheckContained(v4, config.Network, "Network", name, "IPv4");
        }

        if (config.EnableIPv6)
        {
            ipv6Subnet = CheckContained(v6, config.IPv6Network, "IPv6Network", name, "IPv6");
        }

        Dictionary<string, string> wanted = NodeLeases.Annotations(request.Attributes, node, Names);
        var changed = wanted.Where(p => NodeLeases.Annotation(node, p.Key) != p.Value).ToDictionary(StringComparer.Ordinal);
        if (changed.Count > 0)
        {
            await PatchStatusAsync(name, AnnotationPatch(changed), "write the flannel annotations of", cancellationToken).ConfigureAwait(false);
            string keys = string.Join(", ", changed.Keys);
            Log.AnnotationsPatched(_logger, name, keys);
        }

        var lease = new Lease(subnet, ipv6Subnet, request.Attributes, null);
        _ownLease = lease;
        if (_informer is not null)
        {
            _informer.Own = (name, request.Attributes);
        }

        string cidrs = string.Join(",", new[] { v4, v6 }.OfType<IPNetwork>());
        Log.LeaseAcquired(_logger, name, cidrs, lease.Key);
        if (_options.SetNodeNetworkUnavailable)
        {
            try
            {
                await PatchStatusAsync(name, ConditionPatch(DateTimeOffset.UtcNow), "set the NetworkUnavailable condition of", cancellationToken).ConfigureAwait(false);
                Log.ConditionPatched(_logger, name);
            }
            catch (SubnetRegistryException ex)
            {
                Log.ConditionPatchFailed(_logger, name, ex);
            }
        }

        return lease;
    }

    /// <summary>Leases do not expire in this registry: returns <paramref name="lease"/>.</summary>
    /// <param name="lease">The lease.</param>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns><paramref name="lease"/>.</returns>
    public ValueTask<Lease> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return ValueTask.FromResult(lease);
    }

    /// <summary>Does nothing, as flanneld: the node keeps its annotations and pod CIDR.</summary>
    /// <param name="lease">The lease.</param>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>A completed task.</returns>
    public ValueTask ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return ValueTask.CompletedTask;
    }

    /// <summary>The leases of the flannel nodes: first a snapshot (when the node cache is synced),
    /// then the changes, each node change as one batch. A change of a node's pod CIDR is its old
    /// lease removed and the new one added. Without a node watch
    /// (<see cref="KubernetesSubnetRegistryOptions.WatchNodes"/> false) only the own lease is reported.</summary>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The batches.</returns>
    /// <exception cref="SubnetRegistryException">The node cache did not sync within
    /// <see cref="KubernetesSubnetRegistryOptions.CacheSyncTimeout"/> (unless
    /// <see cref="KubernetesSubnetRegistryOptions.ContinueWhenCacheNotReady"/>).</exception>
    public async IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await GetNetworkConfigAsync(cancellationToken).ConfigureAwait(false);
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        if (_informer is null)
        {
            yield return LeaseEventBatch.Snapshot(_ownLease is null ? [] : [_ownLease]);
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            yield break;
        }

        Channel<LeaseEventBatch> channel = _informer.Subscribe();
        try
        {
            if (!_informer.Synced.IsCompleted)
            {
                try
                {
                    await _informer.Synced.WaitAsync(_options.CacheSyncTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException) when (_options.ContinueWhenCacheNotReady)
                {
                    Log.CacheNotReady(_logger, _options.CacheSyncTimeout);
                }
                catch (TimeoutException ex)
                {
                    throw new SubnetRegistryException($"The node cache did not sync within {_options.CacheSyncTimeout} (listing nodes failed; see the earlier warnings). Set CONT_WHEN_CACHE_NOT_READY=true to continue without it.", isTransient: true, ex);
                }
            }

            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out LeaseEventBatch? batch))
                {
                    yield return batch;
                }
            }
        }
        finally
        {
            _informer.Unsubscribe(channel);
        }
    }

    /// <summary>Stops the node watch and closes the client.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_informer is not null)
        {
            await _informer.DisposeAsync().ConfigureAwait(false);
        }

        _client.Dispose();
        _startLock.Dispose();
    }

    /// <summary>Resolves the node name and starts the node informer, once.</summary>
    private async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_nodeName is not null && (_informer is not null || !_options.WatchNodes))
        {
            return;
        }

        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _nodeName ??= await ResolveNodeNameAsync(cancellationToken).ConfigureAwait(false);
            if (_options.WatchNodes && _informer is null)
            {
                NetworkConfig config = _config!;
                _informer = new NodeInformer(_client, Names, config.EnableIPv4, config.EnableIPv6, _options, _logger);
            }
        }
        finally
        {
            _startLock.Release();
        }
    }

    private async Task<string> ResolveNodeNameAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_options.NodeName))
        {
            return _options.NodeName;
        }

        if (string.IsNullOrEmpty(_options.PodName) || string.IsNullOrEmpty(_options.PodNamespace))
        {
            throw new SubnetRegistryException("env variables POD_NAME and POD_NAMESPACE must be set", isTransient: false);
        }

        V1Pod pod = await CallAsync(() => _client.CoreV1.ReadNamespacedPodAsync(_options.PodName, _options.PodNamespace, cancellationToken: cancellationToken),
            "get", "pods", $"pod \"{_options.PodNamespace}/{_options.PodName}\"").ConfigureAwait(false);
        return string.IsNullOrEmpty(pod.Spec?.NodeName)
            ? throw new SubnetRegistryException($"node name for pod \"{_options.PodNamespace}/{_options.PodName}\" is empty (the pod is not scheduled)", isTransient: true)
            : pod.Spec.NodeName;
    }

    private async Task<V1Node> ReadOwnNodeAsync(CancellationToken cancellationToken)
    {
        await EnsureNameAsync(cancellationToken).ConfigureAwait(false);
        string name = NodeName!;
        DateTimeOffset deadline = DateTimeOffset.UtcNow + _options.PatchRetryTimeout;
        while (true)
        {
            try
            {
                return await CallAsync(() => _client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken), "get", "nodes", $"node \"{name}\"").ConfigureAwait(false);
            }
            catch (SubnetRegistryException ex) when (ex.IsTransient && DateTimeOffset.UtcNow < deadline)
            {
                Log.RequestRetried(_logger, $"Reading node \"{name}\"", PatchRetryInterval, ex);
                await Task.Delay(PatchRetryInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (SubnetRegistryException ex) when (ex.IsTransient)
            {
                throw new SubnetRegistryException($"timeout contacting kube-api, failed to patch node \"{name}\": {ex.Message}", isTransient: true, ex);
            }
        }
    }

    private async Task EnsureNameAsync(CancellationToken cancellationToken)
    {
        if (_nodeName is null)
        {
            await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                _nodeName ??= await ResolveNodeNameAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _startLock.Release();
            }
        }
    }

    private async Task<V1Node> WaitForPodCidrAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        while (true)
        {
            V1Node node = await ReadOwnNodeAsync(cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(node.Spec?.PodCIDR) || node.Spec?.PodCIDRs is { Count: > 0 })
            {
                return node;
            }

            if (!_options.WaitForPodCidr)
            {
                throw new SubnetRegistryException($"node \"{NodeName}\" pod cidr not assigned", isTransient: true);
            }

            Log.WaitingForPodCidr(_logger, NodeName!, _options.PodCidrPollInterval, DateTimeOffset.UtcNow - started);
            await Task.Delay(_options.PodCidrPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static IPNetwork? CheckContained(IPNetwork? cidr, IPNetwork? network, string member, string node, string family)
    {
        if (network is not { } net)
        {
            throw new NetworkConfigException(member, $"{family} is enabled but the network configuration has no {member}; set \"{member}\" in net-conf.json to the cluster's pod network (the range the node pod CIDRs come from)");
        }

        if (cidr is not { } c)
        {
            return null; // a missing family is not an error here, as flanneld
        }

        bool contained = c.BaseAddress.AddressFamily == net.BaseAddress.AddressFamily && c.PrefixLength >= net.PrefixLength && net.Contains(c.BaseAddress);
        return contained ? c
            : throw new SubnetRegistryException($"subnet \"{net}\" specified in the flannel net config doesn't contain \"{c}\" PodCIDR of the \"{node}\" node", isTransient: false);
    }

    private async Task PatchStatusAsync(string name, string body, string what, CancellationToken cancellationToken)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow + _options.PatchRetryTimeout;
        while (true)
        {
            try
            {
                await CallAsync(() => _client.CoreV1.PatchNodeStatusAsync(new V1Patch(body, V1Patch.PatchType.StrategicMergePatch), name, cancellationToken: cancellationToken),
                    "patch", "nodes/status", $"node \"{name}\"").ConfigureAwait(false);
                return;
            }
            catch (SubnetRegistryException ex) when (ex.IsTransient && DateTimeOffset.UtcNow < deadline)
            {
                Log.RequestRetried(_logger, $"Trying to {what} node \"{name}\"", PatchRetryInterval, ex);
                await Task.Delay(PatchRetryInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (SubnetRegistryException ex) when (ex.IsTransient)
            {
                throw new SubnetRegistryException($"timeout contacting kube-api, failed to patch node \"{name}\": {ex.Message}", isTransient: true, ex);
            }
        }
    }

    /// <summary>Runs an API call and turns its failures into registry errors: 403 names the RBAC
    /// verb and resource that are missing; 5xx, 429, 404 and connection failures are transient.</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call, string verb, string resource, string subject)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException ex)
        {
            HttpStatusCode status = ex.Response?.StatusCode ?? 0;
            string detail = StatusMessage(ex.Response?.Content) ?? ex.Message;
            if (status == HttpStatusCode.Forbidden)
            {
                throw new SubnetRegistryException(
                    $"The API server refused to {verb} {resource} for {subject} (403 Forbidden): the agent's ClusterRole must grant verb \"{verb}\" on resource \"{resource}\" in API group \"\". Server: {detail}", isTransient: false, ex);
            }

            bool transient = status is HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict || (int)status >= 500;
            throw new SubnetRegistryException($"{verb} {resource} for {subject} failed ({(int)status}): {detail}", transient, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new SubnetRegistryException($"{verb} {resource} for {subject}: the API server did not answer: {ex.Message}", isTransient: true, ex);
        }
    }

    private static string? StatusMessage(string? content)
    {
        if (string.IsNullOrEmpty(content))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(content);
            return document.RootElement.TryGetProperty("message", out JsonElement message) ? message.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string AnnotationPatch(Dictionary<string, string> annotations)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("metadata");
            writer.WriteStartObject("annotations");
            foreach ((string key, string value) in annotations.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static string ConditionPatch(DateTimeOffset now)
    {
        string time = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return $$"""{"status":{"conditions":[{"type":"NetworkUnavailable","status":"False","reason":"FlannelIsUp","message":"Flannel is running on this node","lastHeartbeatTime":"{{time}}","lastTransitionTime":"{{time}}" """.TrimEnd() + "}]}}";
    }
}
