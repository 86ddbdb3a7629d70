using System.Net;
using System.Text;
using System.Text.Json;
using Overlay.Testing;

namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>Per-test helpers: a fresh key prefix, registries that are disposed afterwards, etcdctl access.</summary>
public abstract class EtcdTestBase(EtcdFixture fixture) : IDisposable
{
    /// <summary>Hang guard for "arrives promptly": generous, never a timing assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly List<IDisposable> _owned = [];

    protected EtcdServer Etcd => fixture.Server;

    protected string Prefix { get; } = "/ovl-" + Guid.NewGuid().ToString("N")[..10] + "/network";

    protected ListLogger Logs { get; } = new();

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected string ConfigKey => Prefix + "/config";

    protected string SubnetKey(string subnetKey) => Prefix + "/subnets/" + subnetKey;

    protected EtcdSubnetRegistry NewRegistry(Action<EtcdSubnetRegistryOptions>? configure = null, string? endpoint = null)
    {
        var options = new EtcdSubnetRegistryOptions
        {
            Endpoints = [endpoint ?? Etcd.Endpoint],
            Prefix = Prefix,
            DialTimeout = TimeSpan.FromSeconds(2),
            RequestTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        var registry = new EtcdSubnetRegistry(options, Logs);
        lock (_owned)
        {
            _owned.Add(registry);
        }

        return registry;
    }

    protected Task PutConfigAsync(string json) => Etcd.PutAsync(ConfigKey, json);

    protected static LeaseAttributes Node(string publicIp, string? publicIpv6 = null, string? backendType = "vxlan", string? backendData = null) => new()
    {
        PublicIP = IPAddress.Parse(publicIp),
        PublicIPv6 = publicIpv6 is null ? null : IPAddress.Parse(publicIpv6),
        BackendType = backendType,
        BackendData = backendData is null ? null : JsonDocument.Parse(backendData).RootElement.Clone(),
    };

    protected static string Text(byte[] value) => Encoding.UTF8.GetString(value);

    protected static WatchSession Watch(EtcdSubnetRegistry registry) => new(registry.WatchLeasesAsync);

    public void Dispose()
    {
        lock (_owned)
        {
            foreach (IDisposable owned in _owned)
            {
                owned.Dispose();
            }

            _owned.Clear();
        }

        GC.SuppressFinalize(this);
    }
}
