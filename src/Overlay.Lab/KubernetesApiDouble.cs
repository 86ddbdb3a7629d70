using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Overlay.Lab.Internal;

namespace Overlay.Lab;

/// <summary>
/// A small in-process stand-in for the Kubernetes API server, for tests and demos of the Kubernetes
/// subnet registry where no cluster exists. It serves plain HTTP on 127.0.0.1 (a port of its own)
/// the core <c>v1</c> resources a node agent uses — nodes and pods — with resource versions,
/// LIST, WATCH streams (<c>ADDED</c>, <c>MODIFIED</c>, <c>DELETED</c>, <c>BOOKMARK</c>, and
/// <c>410 Gone</c> after <see cref="Compact"/>), GET, DELETE, and PATCH of <c>nodes/&lt;name&gt;</c>
/// and <c>nodes/&lt;name&gt;/status</c> as JSON merge patch or strategic merge patch (conditions and
/// addresses merged by <c>type</c>). <c>kubectl</c> works against it with the file from
/// <see cref="WriteKubeconfig(string)"/>. A verb on a resource can be refused with 403
/// (<see cref="Forbid(string, string)"/>) to exercise missing RBAC rules.
/// </summary>
/// <remarks>
/// There is no authentication, admission, field selector other than <c>metadata.name</c>, label
/// selector, pagination or protobuf: requests carry JSON only. Watches started without a resource
/// version (or with <c>0</c>) begin with an <c>ADDED</c> event per existing object, as the real
/// server does.
/// </remarks>
public sealed class KubernetesApiDouble : IAsyncDisposable
{
    /// <summary>The user named in the messages of refused requests (flannel's service account).</summary>
    public const string ForbiddenUser = "system:serviceaccount:kube-flannel:flannel";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JsonObject> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> _pods = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Resource, string Name, string Line)> _history = [];
    private readonly List<WatchStream> _watches = [];
    private readonly HashSet<string> _forbidden = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly Task _acceptLoop;
    private readonly Task _bookmarkLoop;
    private long _version = 100;
    private long _compacted;
    private long _uid;

    private KubernetesApiDouble()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _acceptLoop = AcceptLoopAsync();
        _bookmarkLoop = BookmarkLoopAsync();
    }

    /// <summary>Starts a server on a free port of 127.0.0.1.</summary>
    /// <returns>The running server; dispose it to stop.</returns>
    public static KubernetesApiDouble Start() => new();

    /// <summary>The server's address, <c>http://127.0.0.1:&lt;port&gt;</c>.</summary>
    public Uri Url { get; }

    /// <summary>How often watches that asked for bookmarks receive a <c>BOOKMARK</c> event with the
    /// current resource version (default 2 seconds; <see cref="Timeout.InfiniteTimeSpan"/> for never —
    /// <see cref="SendBookmarks"/> still works).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The current resource version (the last change's).</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>The number of watch streams currently open.</summary>
    public int ActiveWatches
    {
        get
        {
            lock (_gate)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>The names of the nodes, sorted.</summary>
    public IReadOnlyList<string> NodeNames
    {
        get
        {
            lock (_gate)
            {
                return [.. _nodes.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Writes a kubeconfig file whose current context points at this server (no
    /// credentials), for <c>kubectl --kubeconfig</c> and kubeconfig-based clients.</summary>
    /// <param name="path">The file to write.</param>
    /// <returns><paramref name="path"/>.</returns>
    public string WriteKubeconfig(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: double
              cluster:
                server: {Url.ToString().TrimEnd('/')}
            users:
            - name: double
              user: {"{}"}
            contexts:
            - name: double
              context:
                cluster: double
                user: double
            current-context: double

            """);
        return path;
    }

    /// <summary>Creates a node, as the kubelet would register it.</summary>
    /// <param name="name">The node name.</param>
    /// <param name="podCidrs">Its <c>spec.podCIDRs</c> (the first is also <c>spec.podCIDR</c>);
    /// none for a node whose pod CIDR is not assigned yet.</param>
    /// <param name="annotations">Its annotations; <see langword="null"/> for a node without any
    /// (<c>metadata.annotations</c> absent).</param>
    /// <exception cref="InvalidOperationException">The node exists.</exception>
    public void AddNode(string name, IEnumerable<string>? podCidrs = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var metadata = new JsonObject { ["name"] = name };
        if (annotations is not null)
        {
            var map = new JsonObject();
            foreach ((string key, string value) in annotations)
            {
                map[key] = value;
            }

            metadata["annotations"] = map;
        }

        var spec = new JsonObject();
        string[] cidrs = podCidrs is null ? [] : [.. podCidrs];
        if (cidrs.Length > 0)
        {
            spec["podCIDR"] = cidrs[0];
            spec["podCIDRs"] = new JsonArray([.. cidrs.Select(c => (JsonNode?)JsonValue.Create(c))]);
        }

        var node = new JsonObject
        {
            ["kind"] = "Node",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready",
                    ["status"] = "True",
                    ["reason"] = "KubeletReady",
                    ["message"] = "kubelet is posting ready status",
                }),
            },
        };
        lock (_gate)
        {
            if (_nodes.ContainsKey(name))
            {
                throw new InvalidOperationException($"Node '{name}' exists.");
            }

            Store("nodes", name, node, "ADDED");
        }
    }

    /// <summary>Creates a pod bound to a node (only <c>spec.nodeName</c> is meaningful), for agents
    /// that find their node through <c>POD_NAME</c>/<c>POD_NAMESPACE</c>.</summary>
    /// <param name="namespace">The pod's namespace.</param>
    /// <param name="name">The pod's name.</param>
    /// <param name="nodeName">The node it runs on.</param>
    public void AddPod(string @namespace, string name, string nodeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var pod = new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["spec"] = new JsonObject { ["nodeName"] = nodeName },
        };
        lock (_gate)
        {
            Store("pods", @namespace + "/" + name, pod, "ADDED");
        }
    }

    /// <summary>A copy of a node as the server would return it, or <see langword="null"/>.</summary>
    /// <param name="name">The node name.</param>
    /// <returns>The node object.</returns>
    public JsonObject? GetNode(string name)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(name, out JsonObject? node) ? (JsonObject)node.DeepClone() : null;
        }
    }

    /// <summary>An annotation of a node, or <see langword="null"/> when the node or the annotation
    /// does not exist.</summary>
    /// <param name="name">The node name.</param>
    /// <param name="annotation">The annotation name.</param>
    /// <returns>The value.</returns>
    public string? GetNodeAnnotation(string name, string annotation)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(name, out JsonObject? node) ? node["metadata"]?["annotations"]?[annotation]?.GetValue<string>() : null;
        }
    }

    /// <summary>Changes a node (one new resource version and one <c>MODIFIED</c> event, unless nothing changed).</summary>
    /// <param name="name">The node name.</param>
    /// <param name="change">Edits the node object in place.</param>
    /// <exception cref="KeyNotFoundException">No such node.</exception>
    public void UpdateNode(string name, Action<JsonObject> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            JsonObject node = (JsonObject)(_nodes.TryGetValue(name, out JsonObject? existing) ? existing : throw new KeyNotFoundException($"No node '{name}'.")).DeepClone();
            change(node);
            if (!JsonNode.DeepEquals(node, existing))
            {
                Store("nodes", name, node, "MODIFIED");
            }
        }
    }

    /// <summary>Sets a node's <c>spec.podCIDR</c> and <c>spec.podCIDRs</c>, as the node IPAM
    /// controller does.</summary>
    /// <param name="name">The node name.</param>
    /// <param name="podCidrs">The CIDRs; none removes them.</param>
    public void SetPodCidrs(string name, params string[] podCidrs)
    {
        ArgumentNullException.ThrowIfNull(podCidrs);
        UpdateNode(name, node =>
        {
            var spec = node["spec"] as JsonObject ?? [];
            node["spec"] = spec;
            spec.Remove("podCIDR");
            spec.Remove("podCIDRs");
            if (podCidrs.Length > 0)
            {
                spec["podCIDR"] = podCidrs[0];
                spec["podCIDRs"] = new JsonArray([.. podCidrs.Select(c => (JsonNode?)JsonValue.Create(c))]);
            }
        });
    }

    /// <summary>Deletes a node (one <c>DELETED</c> event).</summary>
    /// <param name="name">The node name.</param>
    /// <returns>Whether the node existed.</returns>
    public bool DeleteNode(string name)
    {
        lock (_gate)
        {
            return Delete("nodes", name) is not null;
        }
    }

    /// <summary>Forgets the event history up to the current resource version, as an etcd compaction
    /// does: a watch (or a watch resumed) from an older resource version receives <c>410 Gone</c>
    /// ("too old resource version") and must list again.</summary>
    /// <param name="expireWatches">Also end every open watch with that error, as the server does
    /// when its watch cache can no longer serve them.</param>
    public void Compact(bool expireWatches = true)
    {
        lock (_gate)
        {
            _compacted = _version;
            _history.Clear();
            if (expireWatches)
            {
                foreach (WatchStream watch in _watches)
                {
                    watch.Lines.Writer.TryWrite(GoneLine(watch.FromVersion));
                    watch.Lines.Writer.TryComplete();
                }
            }
        }
    }

    /// <summary>Drops every open watch connection without ending the stream properly, as a
    /// restarting server or a broken network does.</summary>
    /// <returns>How many watches were dropped.</returns>
    public int DropWatches()
    {
        lock (_gate)
        {
            foreach (WatchStream watch in _watches)
            {
                watch.Drop.Cancel();
            }

            return _watches.Count;
        }
    }

    /// <summary>Sends a <c>BOOKMARK</c> with the current resource version to every watch that asked
    /// for bookmarks.</summary>
    public void SendBookmarks()
    {
        lock (_gate)
        {
            foreach (WatchStream watch in _watches.Where(w => w.Bookmarks))
            {
                watch.Lines.Writer.TryWrite(BookmarkLine(watch.Resource));
            }
        }
    }

    /// <summary>Refuses <paramref name="verb"/> on <paramref name="resource"/> with 403 Forbidden
    /// from now on, as an API server whose RBAC rules lack it does.</summary>
    /// <param name="verb">get, list, watch, patch, delete or create.</param>
    /// <param name="resource"><c>nodes</c>, <c>nodes/status</c> or <c>pods</c>.</param>
    public void Forbid(string verb, string resource) { lock (_gate) { _forbidden.Add(verb + " " + resource); } }

    /// <summary>Allows again what <see cref="Forbid(string, string)"/> refused.</summary>
    /// <param name="verb">The verb.</param>
    /// <param name="resource">The resource.</param>
    public void Allow(string verb, string resource) { lock (_gate) { _forbidden.Remove(verb + " " + resource); } }

    /// <summary>How many requests of <paramref name="verb"/> on <paramref name="resource"/> were
    /// served (refused ones included), e.g. <c>("list", "nodes")</c>, <c>("watch", "nodes")</c>,
    /// <c>("patch", "nodes/status")</c>.</summary>
    /// <param name="verb">The verb.</param>
    /// <param name="resource">The resource.</param>
    /// <returns>The count.</returns>
    public int RequestCount(string verb, string resource) => _requests.TryGetValue(verb + " " + resource, out int count) ? count : 0;

    /// <summary>Stops the server and closes every connection.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        lock (_gate)
        {
            foreach (WatchStream watch in _watches)
            {
                watch.Drop.Cancel();
            }
        }

        try
        {
            await Task.WhenAll([_acceptLoop, _bookmarkLoop, .. _connections.Keys]).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Connections end with whatever their sockets report; nothing to do.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            Task connection = ServeConnectionAsync(client);
            _connections[connection] = true;
            _ = connection.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task BookmarkLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TimeSpan interval = BookmarkInterval;
            try
            {
                await Task.Delay(interval == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(1) : interval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (BookmarkInterval != Timeout.InfiniteTimeSpan)
            {
                SendBookmarks();
            }
        }
    }

    private async Task ServeConnectionAsync(TcpClient client)
    {
        using (client)
        {
            client.NoDelay = true;
            NetworkStream stream = client.GetStream();
            var reader = new BufferedReader(stream);
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    MiniHttpRequest? request = await MiniHttp.ReadRequestAsync(reader, _stop.Token).ConfigureAwait(false);
                    if (request is null)
                    {
                        return;
                    }

                    if (!await HandleAsync(request, stream).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
            {
                // The client went away or the server stops.
            }
        }
    }

    /// <summary>Serves one request; false when the connection must be closed.</summary>
    private async Task<bool> HandleAsync(MiniHttpRequest request, NetworkStream stream)
    {
        CancellationToken token = _stop.Token;
        string[] segments = request.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case ["version"]:
                await Json(stream, 200, """{"major":"1","minor":"32","gitVersion":"v1.32.0-overlay-lab","platform":"linux/amd64"}""", token).ConfigureAwait(false);
                return true;
            case ["api"]:
                await Json(stream, 200, $$"""{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"{{Url.Authority}}"}]}""", token).ConfigureAwait(false);
                return true;
            case ["apis"]:
                await Json(stream, 200, """{"kind":"APIGroupList","apiVersion":"v1","groups":[]}""", token).ConfigureAwait(false);
                return true;
            case ["api", "v1"]:
                await Json(stream, 200, """
                    {"kind":"APIResourceList","groupVersion":"v1","resources":[
                    {"name":"nodes","singularName":"node","namespaced":false,"kind":"Node","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["no"]},
                    {"name":"nodes/status","singularName":"","namespaced":false,"kind":"Node","verbs":["get","patch","update"]},
                    {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["po"]}]}
                    """, token).ConfigureAwait(false);
                return true;
            case ["api", "v1", "nodes"]:
                return await CollectionAsync(request, stream, "nodes", null).ConfigureAwait(false);
            case ["api", "v1", "pods"]:
                return await CollectionAsync(request, stream, "pods", null).ConfigureAwait(false);
            case ["api", "v1", "namespaces", string ns, "pods"]:
                return await CollectionAsync(request, stream, "pods", ns).ConfigureAwait(false);
            case ["api", "v1", "nodes", string name]:
                await ObjectAsync(request, stream, "nodes", name, status: false).ConfigureAwait(false);
                return true;
            case ["api", "v1", "nodes", string name, "status"]:
                await ObjectAsync(request, stream, "nodes", name, status: true).ConfigureAwait(false);
                return true;
            case ["api", "v1", "namespaces", string ns, "pods", string name]:
                await ObjectAsync(request, stream, "pods", ns + "/" + name, status: false).ConfigureAwait(false);
                return true;
            default:
                await Json(stream, 404, StatusJson(404, "NotFound", $"the server could not find the requested resource ({request.Path})", null, null), token).ConfigureAwait(false);
                return true;
        }
    }

    private async Task<bool> CollectionAsync(MiniHttpRequest request, NetworkStream stream, string resource, string? ns)
    {
        CancellationToken token = _stop.Token;
        bool watch = request.QueryValue("watch") is "1" or "true";
        string verb = request.Method == "GET" ? (watch ? "watch" : "list") : request.Method == "POST" ? "create" : request.Method.ToLowerInvariant();
        if (Refused(verb, resource) is { } refusal)
        {
            await Json(stream, 403, refusal, token).ConfigureAwait(false);
            return true;
        }

        string? nameFilter = null;
        if (request.QueryValue("fieldSelector") is { Length: > 0 } selector && selector.StartsWith("metadata.name=", StringComparison.Ordinal))
        {
            nameFilter = selector["metadata.name=".Length..];
        }

        if (verb == "create" && resource == "nodes")
        {
            JsonObject node;
            try
            {
                node = JsonNode.Parse(request.Body) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException ex)
            {
                await Json(stream, 400, StatusJson(400, "BadRequest", ex.Message, null, null), token).ConfigureAwait(false);
                return true;
            }

            string? name = node["metadata"]?["name"]?.GetValue<string>();
            string result;
            lock (_gate)
            {
                if (name is null || _nodes.ContainsKey(name))
                {
                    result = string.Empty;
                }
                else
                {
                    Store("nodes", name, node, "ADDED");
                    result = node.ToJsonString();
                }
            }

            await Json(stream, result.Length == 0 ? 409 : 201, result.Length == 0 ? StatusJson(409, "AlreadyExists", $"nodes \"{name}\" already exists", name, "nodes") : result, token).ConfigureAwait(false);
            return true;
        }

        if (verb == "list")
        {
            string body;
            lock (_gate)
            {
                var items = new StringBuilder();
                foreach ((string key, JsonObject item) in Store(resource).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (Matches(resource, key, ns, nameFilter))
                    {
                        items.Append(items.Length == 0 ? string.Empty : ",").Append(item.ToJsonString());
                    }
                }

                string kind = resource == "nodes" ? "NodeList" : "PodList";
                body = string.Create(CultureInfo.InvariantCulture, $$"""{"kind":"{{kind}}","apiVersion":"v1","metadata":{"resourceVersion":"{{_version}}"},"items":[{{items}}]}""");
            }

            await Json(stream, 200, body, token).ConfigureAwait(false);
            return true;
        }

        if (verb != "watch")
        {
            await Json(stream, 405, StatusJson(405, "MethodNotAllowed", $"{request.Method} is not supported on {resource}", null, null), token).ConfigureAwait(false);
            return true;
        }

        var watchStream = new WatchStream(resource, request.QueryValue("allowWatchBookmarks") is "1" or "true", CancellationTokenSource.CreateLinkedTokenSource(_stop.Token));
        lock (_gate)
        {
            string? fromText = request.QueryValue("resourceVersion");
            if (string.IsNullOrEmpty(fromText) || fromText == "0")
            {
                foreach ((string key, JsonObject item) in Store(resource).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (Matches(resource, key, ns, nameFilter))
                    {
                        watchStream.Lines.Writer.TryWrite(EventLine("ADDED", item.ToJsonString()));
                    }
                }

                watchStream.FromVersion = _version;
            }
            else if (!long.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out long from) || from < _compacted)
            {
                watchStream.Lines.Writer.TryWrite(GoneLine(long.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : 0));
                watchStream.Lines.Writer.TryComplete();
            }
            else
            {
                foreach ((long version, string res, string key, string line) in _history)
                {
                    if (version > from && res == resource && Matches(resource, key, ns, nameFilter))
                    {
                        watchStream.Lines.Writer.TryWrite(line);
                    }
                }

                watchStream.FromVersion = from;
            }

            watchStream.Namespace = ns;
            watchStream.NameFilter = nameFilter;
            _watches.Add(watchStream);
        }

        int timeoutSeconds = int.TryParse(request.QueryValue("timeoutSeconds"), NumberStyles.None, CultureInfo.InvariantCulture, out int t) && t > 0 ? t : 1800;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, watchStream.Drop.Token);
        try
        {
            await MiniHttp.WriteChunkedHeadAsync(stream, "application/json", token).ConfigureAwait(false);
            try
            {
                await foreach (string line in watchStream.Lines.Reader.ReadAllAsync(linked.Token).ConfigureAwait(false))
                {
                    await MiniHttp.WriteChunkAsync(stream, line, linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !watchStream.Drop.IsCancellationRequested)
            {
                // The watch's timeoutSeconds passed: end the stream properly below.
            }

            if (watchStream.Drop.IsCancellationRequested)
            {
                return false;
            }

            await MiniHttp.WriteLastChunkAsync(stream, token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            lock (_gate)
            {
                _watches.Remove(watchStream);
            }

            watchStream.Drop.Dispose();
        }
    }

    private async Task ObjectAsync(MiniHttpRequest request, NetworkStream stream, string resource, string key, bool status)
    {
        CancellationToken token = _stop.Token;
        string fullResource = status ? resource + "/status" : resource;
        string verb = request.Method switch { "GET" => "get", "DELETE" => "delete", "PATCH" => "patch", "PUT" => "update", _ => request.Method.ToLowerInvariant() };
        string name = key.Contains('/', StringComparison.Ordinal) ? key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..] : key;
        if (Refused(verb, fullResource, name) is { } refusal)
        {
            await Json(stream, 403, refusal, token).ConfigureAwait(false);
            return;
        }

        string notFound = StatusJson(404, "NotFound", $"{resource} \"{name}\" not found", name, resource);
        switch (verb)
        {
            case "get":
            {
                string? body;
                lock (_gate)
                {
                    body = Store(resource).TryGetValue(key, out JsonObject? item) ? item.ToJsonString() : null;
                }

                await Json(stream, body is null ? 404 : 200, body ?? notFound, token).ConfigureAwait(false);
                return;
            }

            case "delete":
            {
                string? body;
                lock (_gate)
                {
                    body = Delete(resource, key);
                }

                await Json(stream, body is null ? 404 : 200, body ?? notFound, token).ConfigureAwait(false);
                return;
            }

            case "patch":
            {
                string contentType = (request.Header("Content-Type") ?? string.Empty).Split(';')[0].Trim();
                bool strategic = contentType == "application/strategic-merge-patch+json";
                if (!strategic && contentType != "application/merge-patch+json")
                {
                    await Json(stream, 415, StatusJson(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got '{contentType}')", null, null), token).ConfigureAwait(false);
                    return;
                }

                JsonObject patch;
                try
                {
                    patch = JsonNode.Parse(request.Body) as JsonObject ?? throw new JsonException("the patch is not a JSON object");
                }
                catch (JsonException ex)
                {
                    await Json(stream, 400, StatusJson(400, "BadRequest", ex.Message, name, resource), token).ConfigureAwait(false);
                    return;
                }

                string? body;
                lock (_gate)
                {
                    if (!Store(resource).TryGetValue(key, out JsonObject? existing))
                    {
                        body = null;
                    }
                    else
                    {
                        var changed = (JsonObject)existing.DeepClone();
                        JsonPatching.Apply(changed, patch, strategic);

                        // The status subresource keeps spec; the main resource keeps status.
                        // Identity members cannot change through a patch.
                        string keep = status ? "spec" : "status";
                        changed[keep] = existing[keep]?.DeepClone();
                        if (changed["metadata"] is not JsonObject metadata)
                        {
                            metadata = [];
                            changed["metadata"] = metadata;
                        }

                        foreach (string member in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
                        {
                            metadata[member] = existing["metadata"]?[member]?.DeepClone();
                            if (metadata[member] is null)
                            {
                                metadata.Remove(member);
                            }
                        }

                        if (!JsonNode.DeepEquals(changed, existing))
                        {
                            Store(resource, key, changed, "MODIFIED");
                        }

                        body = Store(resource)[key].ToJsonString();
                    }
                }

                await Json(stream, body is null ? 404 : 200, body ?? notFound, token).ConfigureAwait(false);
                return;
            }

            default:
                await Json(stream, 405, StatusJson(405, "MethodNotAllowed", $"{request.Method} is not supported on {fullResource}", name, resource), token).ConfigureAwait(false);
                return;
        }
    }

    private string? Refused(string verb, string resource, string? name = null)
    {
        _requests.AddOrUpdate(verb + " " + resource, 1, (_, n) => n + 1);
        lock (_gate)
        {
            if (!_forbidden.Contains(verb + " " + resource))
            {
                return null;
            }
        }

        string[] parts = resource.Split('/');
        string subject = name is null ? resource : $"{parts[0]} \"{name}\"";
        string sub = parts.Length > 1 ? $" subresource \"{parts[1]}\"" : string.Empty;
        string message = $"{subject} is forbidden: User \"{ForbiddenUser}\" cannot {verb} resource \"{parts[0]}\"{(sub.Length > 0 ? " (" + resource + ")" : string.Empty)} in API group \"\" at the cluster scope";
        return StatusJson(403, "Forbidden", message, name, parts[0]);
    }

    private Dictionary<string, JsonObject> Store(string resource) => resource == "nodes" ? _nodes : _pods;

    private static bool Matches(string resource, string key, string? ns, string? nameFilter)
    {
        if (resource == "pods")
        {
            int slash = key.IndexOf('/', StringComparison.Ordinal);
            return (ns is null || key[..slash] == ns) && (nameFilter is null || key[(slash + 1)..] == nameFilter);
        }

        return nameFilter is null || key == nameFilter;
    }

    /// <summary>Stores a new version of an object and tells the watches. Under the lock.</summary>
    private void Store(string resource, string key, JsonObject item, string type)
    {
        _version++;
        var metadata = (JsonObject)item["metadata"]!;
        metadata["resourceVersion"] = _version.ToString(CultureInfo.InvariantCulture);
        if (metadata["uid"] is null)
        {
            metadata["uid"] = $"00000000-0000-4000-8000-{++_uid:D12}";
            metadata["creationTimestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        Store(resource)[key] = item;
        Publish(resource, key, EventLine(type, item.ToJsonString()));
    }

    /// <summary>Deletes an object and tells the watches; its last state or null. Under the lock.</summary>
    private string? Delete(string resource, string key)
    {
        if (!Store(resource).Remove(key, out JsonObject? item))
        {
            return null;
        }

        _version++;
        item["metadata"]!["resourceVersion"] = _version.ToString(CultureInfo.InvariantCulture);
        string json = item.ToJsonString();
        Publish(resource, key, EventLine("DELETED", json));
        return json;
    }

    private void Publish(string resource, string key, string line)
    {
        _history.Add((_version, resource, key, line));
        foreach (WatchStream watch in _watches)
        {
            if (watch.Resource == resource && Matches(resource, key, watch.Namespace, watch.NameFilter))
            {
                watch.Lines.Writer.TryWrite(line);
            }
        }
    }

    private static string EventLine(string type, string objectJson) => $$"""{"type":"{{type}}","object":{{objectJson}}}""" + "\n";

    private string BookmarkLine(string resource) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"type":"BOOKMARK","object":{"kind":"{{(resource == "nodes" ? "Node" : "Pod")}}","apiVersion":"v1","metadata":{"resourceVersion":"{{_version}}" """) + "}}}\n";

    private static string GoneLine(long from) => string.Create(CultureInfo.InvariantCulture,
        $$$"""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: {{{from}}}","reason":"Expired","code":410}}""") + "\n";

    private static string StatusJson(int code, string reason, string message, string? name, string? kind)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (name is not null)
        {
            status["details"] = new JsonObject { ["name"] = name, ["kind"] = kind };
        }

        status["code"] = code;
        return status.ToJsonString();
    }

    private static Task Json(NetworkStream stream, int status, string body, CancellationToken token) =>
        MiniHttp.WriteResponseAsync(stream, status, "application/json", body, token);

    private sealed class WatchStream(string resource, bool bookmarks, CancellationTokenSource drop)
    {
        public string Resource { get; } = resource;

        public bool Bookmarks { get; } = bookmarks;

        public CancellationTokenSource Drop { get; } = drop;

        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

        public string? Namespace { get; set; }

        public string? NameFilter { get; set; }

        public long FromVersion { get; set; }
    }
}
