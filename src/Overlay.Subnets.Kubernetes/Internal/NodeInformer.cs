using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Overlay.Subnets.Kubernetes.Internal;

/// <summary>
/// A node informer: one LIST, then a WATCH from the list's resource version with bookmarks, resumed
/// from the last seen version when the server ends it, and a new LIST (diffed against the cache, so
/// nothing is repeated or lost) after <c>410 Gone</c> or a dropped connection. Never a periodic
/// LIST. Lease events go to every subscriber, each with a queue of its own.
/// </summary>
internal sealed class NodeInformer : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly k8s.Kubernetes _client;
    private readonly KubernetesAnnotationNames _names;
    private readonly bool _ipv4;
    private readonly bool _ipv6;
    private readonly KubernetesSubnetRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (V1Node Node, Lease? Lease)> _cache = new(StringComparer.Ordinal);
    private readonly List<Channel<LeaseEventBatch>> _subscribers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private string _resourceVersion = string.Empty;

    public NodeInformer(k8s.Kubernetes client, KubernetesAnnotationNames names, bool ipv4, bool ipv6, KubernetesSubnetRegistryOptions options, ILogger logger)
    {
        _client = client;
        _names = names;
        _ipv4 = ipv4;
        _ipv6 = ipv6;
        _options = options;
        _logger = logger;
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The own node's name and the attributes its events carry (the local ones, not the
    /// published overwrites), once the own lease is acquired.</summary>
    public (string Name, LeaseAttributes Attributes)? Own { get; set; }

    /// <summary>Completes when the first LIST is in the cache.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Lists and watches done (for tests and diagnostics).</summary>
    public int Lists { get; private set; }

    public V1Node? TryGetNode(string name)
    {
        lock (_gate)
        {
            return _cache.TryGetValue(name, out var entry) ? entry.Node : null;
        }
    }

    /// <summary>A new subscriber queue; it starts with a snapshot of the cache when it is synced.</summary>
    public Channel<LeaseEventBatch> Subscribe()
    {
        var channel = Channel.CreateBounded<LeaseEventBatch>(new BoundedChannelOptions(_options.EventQueueDepth)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        lock (_gate)
        {
            if (_synced.Task.IsCompleted)
            {
                channel.Writer.TryWrite(LeaseEventBatch.Snapshot(_cache.Values.Select(e => e.Lease).OfType<Lease>()));
            }

            _subscribers.Add(channel);
        }

        return channel;
    }

    public void Unsubscribe(Channel<LeaseEventBatch> channel)
    {
        lock (_gate)
        {
            _subscribers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        lock (_gate)
        {
            foreach (Channel<LeaseEventBatch> subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }

            _subscribers.Clear();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ListAsync(cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(200);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Log.ListFailed(_logger, delay, ex);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
                continue;
            }

            // Watch until the server says the version is gone or the connection drops; a watch the
            // server ended at its timeout is resumed from the last version seen.
            while (!cancellationToken.IsCancellationRequested)
            {
                string? relist;
                try
                {
                    relist = await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or IOException or HttpOperationException or JsonException)
                {
                    relist = ex is HttpRequestException { StatusCode: not null } ? $"{ex.Message}" : "the connection was dropped: " + ex.Message;
                }

                if (relist is not null)
                {
                    Log.Relisting(_logger, relist);
                    break;
                }
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        V1NodeList list = await _client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Lists++;
        var events = ImmutableArray.CreateBuilder<LeaseEvent>();
        List<Channel<LeaseEventBatch>> subscribers;
        bool first;
        int peers;
        lock (_gate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (V1Node node in list.Items)
            {
                string name = node.Metadata?.Name ?? string.Empty;
                seen.Add(name);
                Apply(name, node, events);
            }

            foreach (string gone in _cache.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                Apply(gone, null, events);
            }

            _resourceVersion = list.Metadata?.ResourceVersion ?? string.Empty;
            first = !_synced.Task.IsCompleted;
            subscribers = [.. _subscribers];
            peers = _cache.Values.Count(e => e.Lease is not null);
            if (first)
            {
                // Everyone subscribed so far gets the first snapshot.
                LeaseEventBatch snapshot = LeaseEventBatch.Snapshot(_cache.Values.Select(e => e.Lease).OfType<Lease>());
                foreach (Channel<LeaseEventBatch> subscriber in subscribers)
                {
                    subscriber.Writer.TryWrite(snapshot);
                }

                _synced.TrySetResult();
            }
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        Log.CacheSynced(_logger, list.Items.Count, peers, _resourceVersion, elapsed);
        if (!first)
        {
            await PublishAsync(subscribers, events.ToImmutable(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One watch; null when the server ended it normally, else why the nodes must be listed again.</summary>
    private async Task<string?> WatchOnceAsync(CancellationToken cancellationToken)
    {
        double seconds = _options.WatchTimeout.TotalSeconds;
        int timeoutSeconds = Math.Max(1, (int)(seconds / 2 + Random.Shared.NextDouble() * seconds / 2));
        string path = string.Create(CultureInfo.InvariantCulture,
            $"api/v1/nodes?watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(_resourceVersion)}&timeoutSeconds={timeoutSeconds}");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(_client.BaseUri.ToString().TrimEnd('/') + "/"), path));
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        using HttpResponseMessage response = await _client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Gone)
        {
            return "410 Gone: the resource version is too old";
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the node watch was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}", null, response.StatusCode);
        }

        using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            string type = root.GetProperty("type").GetString() ?? string.Empty;
            JsonElement obj = root.GetProperty("object");
            if (type == "ERROR")
            {
                int code = obj.TryGetProperty("code", out JsonElement c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0;
                string message = obj.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? string.Empty : string.Empty;
                return code == 410 ? $"410 Gone: {message}" : $"watch error {code}: {message}";
            }

            V1Node node = KubernetesJson.Deserialize<V1Node>(obj);
            string version = node.Metadata?.ResourceVersion ?? string.Empty;
            if (type == "BOOKMARK")
            {
                lock (_gate)
                {
                    _resourceVersion = version;
                }

                continue;
            }

            var events = ImmutableArray.CreateBuilder<LeaseEvent>();
            List<Channel<LeaseEventBatch>> subscribers;
            lock (_gate)
            {
                Apply(node.Metadata?.Name ?? string.Empty, type == "DELETED" ? null : node, events);
                _resourceVersion = version;
                subscribers = [.. _subscribers];
            }

            await PublishAsync(subscribers, events.ToImmutable(), cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Puts a node's new state (null: deleted) in the cache and adds the lease events it
    /// means. Under the lock.</summary>
    private void Apply(string name, V1Node? node, ImmutableArray<LeaseEvent>.Builder events)
    {
        Lease? old = _cache.TryGetValue(name, out var entry) ? entry.Lease : null;
        Lease? now = null;
        if (node is not null)
        {
            now = ToLease(name, node, old);
            _cache[name] = (node, now);
        }
        else
        {
            _cache.Remove(name);
        }

        if (old is not null && (now is null || !old.IsSameSubnet(now)))
        {
            events.Add(new LeaseEvent(LeaseEventKind.Removed, old));
        }

        if (now is not null && (old is null || !old.IsSameSubnet(now) || !old.Attributes.Equals(now.Attributes)))
        {
            events.Add(new LeaseEvent(LeaseEventKind.Added, now));
        }
    }

    /// <summary>The node's lease, or null when it is no flannel node; a node that cannot be
    /// converted keeps its previous lease (logged).</summary>
    private Lease? ToLease(string name, V1Node node, Lease? previous)
    {
        if (!NodeLeases.IsFlannelNode(node, _names))
        {
            return null;
        }

        Lease? lease = NodeLeases.ToLease(node, _names, _ipv4, _ipv6, out string? error);
        if (lease is null)
        {
            Log.NodeSkipped(_logger, name, error ?? "unknown");
            return previous;
        }

        if (Own is { } own && own.Name == name)
        {
            lease = lease with { Attributes = own.Attributes };
        }

        return lease;
    }

    private static async Task PublishAsync(List<Channel<LeaseEventBatch>> subscribers, ImmutableArray<LeaseEvent> events, CancellationToken cancellationToken)
    {
        if (events.IsEmpty)
        {
            return;
        }

        var batch = new LeaseEventBatch(events, IsSnapshot: false);
        foreach (Channel<LeaseEventBatch> subscriber in subscribers)
        {
            try
            {
                await subscriber.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // The subscriber left.
            }
        }
    }
}
