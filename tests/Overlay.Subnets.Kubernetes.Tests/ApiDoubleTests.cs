using System.Text.Json;
using System.Text.Json.Nodes;
using Overlay.Lab;
using Overlay.Subnets.Kubernetes.Tests.Support;

namespace Overlay.Subnets.Kubernetes.Tests;

/// <summary>The API server double checked with kubectl, the independent client.</summary>
public sealed class ApiDoubleTests : IAsyncLifetime
{
    private readonly KubernetesApiDouble _server = KubernetesApiDouble.Start();
    private Kubectl _kubectl = null!;

    public ValueTask InitializeAsync()
    {
        _kubectl = new Kubectl(_server);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _kubectl.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task KubectlListsNodesWithTheirSpecAndResourceVersions()
    {
        _server.AddNode("n1", ["10.244.1.0/24", "fd00:10:244:1::/64"], new Dictionary<string, string> { ["a"] = "b" });
        _server.AddNode("n2");

        JsonNode list = JsonNode.Parse(await _kubectl.RunAsync("get", "nodes", "-o", "json"))!;
        JsonArray items = list["items"]!.AsArray();
        Assert.Equal(["n1", "n2"], items.Select(i => (string)i!["metadata"]!["name"]!));
        Assert.Equal("10.244.1.0/24", (string)items[0]!["spec"]!["podCIDR"]!);
        Assert.Equal(["10.244.1.0/24", "fd00:10:244:1::/64"], items[0]!["spec"]!["podCIDRs"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("b", (string)items[0]!["metadata"]!["annotations"]!["a"]!);
        Assert.Null(items[1]!["metadata"]!["annotations"]);
        Assert.True(long.Parse((string)items[1]!["metadata"]!["resourceVersion"]!) > long.Parse((string)items[0]!["metadata"]!["resourceVersion"]!));

        JsonNode one = JsonNode.Parse(await _kubectl.RunAsync("get", "node", "n1", "-o", "json"))!;
        Assert.Equal("n1", (string)one["metadata"]!["name"]!);

        var missing = await _kubectl.TryRunAsync("get", "node", "nope", "-o", "json");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("not found", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubectlAnnotatePatchAndDeleteChangeTheNodes()
    {
        _server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string> { ["keep"] = "me" });
        long before = _server.ResourceVersion;

        await _kubectl.RunAsync("annotate", "node", "n1", "flannel.alpha.coreos.com/public-ip=198.18.0.1", "x=y");
        Assert.Equal("198.18.0.1", _server.GetNodeAnnotation("n1", "flannel.alpha.coreos.com/public-ip"));
        Assert.Equal("me", _server.GetNodeAnnotation("n1", "keep"));
        Assert.True(_server.ResourceVersion > before);

        await _kubectl.RunAsync("annotate", "node", "n1", "x-");
        Assert.Null(_server.GetNodeAnnotation("n1", "x"));

        await _kubectl.RunAsync("patch", "node", "n1", "--subresource=status", "--type=strategic", "-p",
            """{"status":{"conditions":[{"type":"NetworkUnavailable","status":"False","reason":"FlannelIsUp"}]}}""");
        JsonArray conditions = _server.GetNode("n1")!["status"]!["conditions"]!.AsArray();
        Assert.Equal(["Ready", "NetworkUnavailable"], conditions.Select(c => (string)c!["type"]!));

        // A second patch of the same condition merges by type instead of appending.
        await _kubectl.RunAsync("patch", "node", "n1", "--subresource=status", "--type=strategic", "-p",
            """{"status":{"conditions":[{"type":"NetworkUnavailable","status":"True","reason":"Other"}]}}""");
        conditions = _server.GetNode("n1")!["status"]!["conditions"]!.AsArray();
        Assert.Equal(2, conditions.Count);
        Assert.Equal("True", (string)conditions[1]!["status"]!);

        // The status subresource keeps spec; annotations sent through it are kept.
        await _kubectl.RunAsync("patch", "node", "n1", "--subresource=status", "--type=strategic", "-p",
            """{"metadata":{"annotations":{"via":"status"}},"spec":{"podCIDR":"10.9.9.0/24"}}""");
        Assert.Equal("status", _server.GetNodeAnnotation("n1", "via"));
        Assert.Equal("10.244.1.0/24", (string)_server.GetNode("n1")!["spec"]!["podCIDR"]!);

        string deleted = await _kubectl.RunAsync("delete", "node", "n1");
        Assert.Contains("deleted", deleted, StringComparison.Ordinal);
        Assert.Empty(_server.NodeNames);
    }

    [Fact]
    public async Task KubectlWatchSeesAddedModifiedDeletedAndBookmarks()
    {
        _server.AddNode("n1", ["10.244.1.0/24"]);
        _server.BookmarkInterval = TimeSpan.FromMilliseconds(200);
        Task<(int ExitCode, string Stdout, string Stderr)> watch = _kubectl.TryRunAsync(
            "get", "--raw", "/api/v1/nodes?watch=1&allowWatchBookmarks=true&timeoutSeconds=4");
        await WaitForAsync(() => _server.ActiveWatches == 1);
        _server.AddNode("n2");
        _server.SetPodCidrs("n2", "10.244.2.0/24");
        Assert.True(_server.DeleteNode("n1"));
        var (code, stdout, stderr) = await watch;
        Assert.True(code == 0, stderr);

        List<JsonNode> events = [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)];
        string[] changes = [.. events.Where(e => (string)e["type"]! != "BOOKMARK").Select(e => $"{e["type"]} {e["object"]!["metadata"]!["name"]}")];
        Assert.Equal(["ADDED n1", "ADDED n2", "MODIFIED n2", "DELETED n1"], changes);
        Assert.Contains(events, e => (string)e["type"]! == "BOOKMARK");
    }

    [Fact]
    public async Task AWatchFromACompactedVersionIsGone()
    {
        _server.AddNode("n1");
        long old = _server.ResourceVersion;
        _server.AddNode("n2");
        _server.Compact();
        var (code, stdout, _) = await _kubectl.TryRunAsync("get", "--raw", $"/api/v1/nodes?watch=1&resourceVersion={old}&timeoutSeconds=2");
        Assert.Equal(0, code);
        JsonNode error = JsonNode.Parse(stdout.Trim())!;
        Assert.Equal("ERROR", (string)error["type"]!);
        Assert.Equal(410, (int)error["object"]!["code"]!);

        // From the current version it is served (and ends at its timeout).
        (code, stdout, _) = await _kubectl.TryRunAsync("get", "--raw", $"/api/v1/nodes?watch=1&resourceVersion={_server.ResourceVersion}&timeoutSeconds=1");
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stdout.Trim());
    }

    [Fact]
    public async Task AForbiddenVerbIsRefusedWith403()
    {
        _server.AddNode("n1");
        _server.Forbid("patch", "nodes/status");
        var (code, _, stderr) = await _kubectl.TryRunAsync("patch", "node", "n1", "--subresource=status", "--type=strategic", "-p", """{"metadata":{"annotations":{"a":"b"}}}""");
        Assert.NotEqual(0, code);
        Assert.Contains("forbidden", stderr, StringComparison.Ordinal);
        Assert.Contains("cannot patch resource \"nodes\"", stderr, StringComparison.Ordinal);
        Assert.Null(_server.GetNodeAnnotation("n1", "a"));
        Assert.Equal(1, _server.RequestCount("patch", "nodes/status"));
    }

    [Fact]
    public async Task DroppedWatchesEndWithoutAProperEnd()
    {
        Task<(int ExitCode, string Stdout, string Stderr)> watch = _kubectl.TryRunAsync("get", "--raw", "/api/v1/nodes?watch=1&timeoutSeconds=30");
        await WaitForAsync(() => _server.ActiveWatches == 1);
        Assert.Equal(1, _server.DropWatches());
        var (code, _, _) = await watch;
        Assert.NotEqual(0, code);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
