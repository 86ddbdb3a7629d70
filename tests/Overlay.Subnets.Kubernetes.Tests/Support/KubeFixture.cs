using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Overlay.Lab;

namespace Overlay.Subnets.Kubernetes.Tests.Support;

/// <summary>Shared set-up of the registry tests: an API server double, kubectl for it, registries
/// for named nodes (all disposed at the end).</summary>
public abstract class KubeTestBase : IAsyncLifetime
{
    public const string Prefix = "flannel.alpha.coreos.com/";
    public const string Mac1 = "6a:1f:0c:22:9b:10";
    public const string Mac6 = "7e:55:91:03:aa:41";

    private readonly List<IAsyncDisposable> _owned = [];

    internal KubernetesApiDouble Server { get; } = KubernetesApiDouble.Start();

    internal Kubectl Kubectl { get; private set; } = null!;

    public static NetworkConfig V4Config { get; } = NetworkConfig.Parse("""{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}""");

    public static NetworkConfig DualConfig { get; } = NetworkConfig.Parse("""{"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"2001:db8:244::/48","Backend":{"Type":"vxlan"}}""");

    public static NetworkConfig V6Config { get; } = NetworkConfig.Parse("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"2001:db8:244::/48","Backend":{"Type":"vxlan"}}""");

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    public static LeaseAttributes VxlanAttributes(string publicIP = "198.18.0.1", string? publicIPv6 = null) => new()
    {
        PublicIP = IPAddress.Parse(publicIP),
        PublicIPv6 = publicIPv6 is null ? null : IPAddress.Parse(publicIPv6),
        BackendType = "vxlan",
        BackendData = Json($$"""{"VNI":1,"VtepMAC":"{{Mac1}}"}"""),
        BackendV6Data = publicIPv6 is null ? null : Json($$"""{"VNI":1,"VtepMAC":"{{Mac6}}"}"""),
    };

    public static Dictionary<string, string> FlannelAnnotations(string publicIP, string mac = Mac1) => new()
    {
        [Prefix + "kube-subnet-manager"] = "true",
        [Prefix + "backend-type"] = "vxlan",
        [Prefix + "backend-data"] = $$"""{"VNI":1,"VtepMAC":"{{mac}}"}""",
        [Prefix + "public-ip"] = publicIP,
    };

    public ValueTask InitializeAsync()
    {
        Kubectl = new Kubectl(Server);
        Server.BookmarkInterval = TimeSpan.FromMilliseconds(500);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        Kubectl.Dispose();
        await Server.DisposeAsync();
    }

    internal KubernetesSubnetRegistry CreateRegistry(string node, NetworkConfig? config = null, Action<KubernetesSubnetRegistryOptions>? configure = null)
    {
        var options = new KubernetesSubnetRegistryOptions
        {
            NodeName = node,
            ApiUrl = Server.Url.ToString(),
            NetworkConfig = config ?? V4Config,
            PodCidrPollInterval = TimeSpan.FromMilliseconds(200),
            PatchRetryTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        var registry = new KubernetesSubnetRegistry(options);
        _owned.Add(registry);
        return registry;
    }

    /// <summary>Reads a registry's lease watch into a queue in the background.</summary>
    internal LeaseWatch Watch(KubernetesSubnetRegistry registry)
    {
        var watch = new LeaseWatch(registry);
        _owned.Add(watch);
        return watch;
    }

    internal static async Task WaitForAsync(Func<bool> condition, int seconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}

/// <summary>A running lease watch whose batches are queued for the test.</summary>
internal sealed class LeaseWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<LeaseEventBatch> _batches = Channel.CreateUnbounded<LeaseEventBatch>();
    private readonly Task _run;

    public LeaseWatch(KubernetesSubnetRegistry registry)
    {
        _run = Task.Run(async () =>
        {
            try
            {
                await foreach (LeaseEventBatch batch in registry.WatchLeasesAsync(_stop.Token))
                {
                    _batches.Writer.TryWrite(batch);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _batches.Writer.TryComplete();
            }
        });
    }

    public async Task<LeaseEventBatch> NextAsync(int seconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await _batches.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Events (not snapshots) until one matches <paramref name="last"/>, that one included.</summary>
    public async Task<List<LeaseEvent>> EventsUntilAsync(Func<LeaseEvent, bool> last, int seconds = 30)
    {
        var events = new List<LeaseEvent>();
        while (true)
        {
            LeaseEventBatch batch = await NextAsync(seconds);
            Assert.False(batch.IsSnapshot, "only the first batch is a snapshot");
            foreach (LeaseEvent e in batch.Events)
            {
                events.Add(e);
                if (last(e))
                {
                    return events;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
