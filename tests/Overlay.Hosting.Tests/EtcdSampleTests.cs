using System.Globalization;
using System.Text.RegularExpressions;
using Overlay.Lab;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>
/// The sample's `run` and `demo` against a private etcd (Debian's etcd-server): skipped locally
/// when etcd is missing, failed under CI=true. Each test starts and stops its own etcd.
/// </summary>
[Trait("Category", Privileged.Category)]
public sealed class EtcdSampleTests
{
    [Fact]
    public async Task Run_with_etcd_flags_and_variables_writes_subnet_env_and_a_flannel_format_lease_key()
    {
        Privileged.Require();
        Privileged.RequireEtcd();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, ct);
        LabNode node = lab.Nodes[0];

        // etcd runs in the node's namespace, so `run` (in the same namespace) reaches it on 127.0.0.1.
        await using EtcdServer etcd = await EtcdServer.StartAsync(cancellationToken: ct, networkNamespace: node.Namespace);
        const string Prefix = "/ovl-run/network";
        await etcd.PutAsync(Prefix + "/config", """{"Network":"198.19.0.0/16","Backend":{"Type":"host-gw"}}""");
        using var dir = new TempDirectory();
        string subnetFile = Path.Combine(dir.Path, "subnet.env");

        // --etcd-endpoints on the command line (a comma-separated list); the prefix from FLANNELD_ETCD_PREFIX.
        using var agent = new RunningProcess("ip",
            ["netns", "exec", node.Namespace, SampleAgent.DotnetHost, SampleAgent.Dll, "run",
             "--etcd-endpoints", $"{etcd.Endpoint},{etcd.Endpoint}", "--subnet-file", subnetFile, "--iface", "eth0",
             "--net-config-path", Path.Combine(dir.Path, "absent-net-conf.json")],
            new Dictionary<string, string> { ["FLANNELD_ETCD_PREFIX"] = Prefix });

        await Privileged.EventuallyAsync(() => Task.FromResult(File.Exists(subnetFile) || agent.Process.HasExited), () => "the subnet file is written: " + agent.Stderr, 120);
        Assert.False(agent.Process.HasExited, agent.Stderr);
        string content = await File.ReadAllTextAsync(subnetFile, ct);
        Match subnet = Regex.Match(content, @"^FLANNEL_NETWORK=198\.19\.0\.0/16\nFLANNEL_SUBNET=198\.19\.(\d+)\.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n$");
        Assert.True(subnet.Success, content);

        string key = $"{Prefix}/subnets/198.19.{subnet.Groups[1].Value}.0-24";
        (byte[] Value, long Lease)? stored = await etcd.GetAsync(key);
        Assert.True(stored is not null, $"no {key}; keys: {string.Join(' ', await etcd.KeysAsync(Prefix))}");
        Assert.Equal("""{"PublicIP":"198.18.1.1","PublicIPv6":null,"BackendType":"host-gw"}""", System.Text.Encoding.UTF8.GetString(stored.Value.Value));
        Assert.NotEqual(0, stored.Value.Lease);
        Assert.Contains("using the etcd registry", agent.Stderr, StringComparison.Ordinal);

        await Shell.RunAsync("kill", ["-TERM", agent.Process.Id.ToString(CultureInfo.InvariantCulture)], cancellationToken: ct);
        int exit = await agent.WaitAsync(60);
        Assert.True(exit == 0, $"exit {exit}; stderr:\n{agent.Stderr}");
        Assert.NotNull(await etcd.GetAsync(key)); // as flanneld: the lease stays until its TTL
    }

    [Fact]
    public async Task Run_never_prints_the_etcd_password()
    {
        Privileged.Require();
        const string Secret = "s3cret-ovl-pw";

        // Invalid (a certificate without its key): the settings are reported, never the password.
        using var run = new RunningProcess(SampleAgent.DotnetHost,
            [SampleAgent.Dll, "run", "--etcd-endpoints", "https://127.0.0.1:1", "--etcd-username", "ovl", "--etcd-certfile", "/nonexistent/cert.pem"],
            new Dictionary<string, string> { ["FLANNELD_ETCD_PASSWORD"] = Secret });
        Assert.Equal(1, await run.WaitAsync(60));
        Assert.Contains("invalid etcd settings", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.Stderr + run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_against_a_fresh_etcd_exits_0_and_leaves_flannel_format_leases()
    {
        Privileged.Require();
        Privileged.RequireEtcd();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using EtcdServer etcd = await EtcdServer.StartAsync(cancellationToken: ct);

        using var demo = new RunningProcess(SampleAgent.DotnetHost, [SampleAgent.Dll, "demo", "--backend", "host-gw", "--etcd-endpoints", etcd.Endpoint]);
        int exit = await demo.WaitAsync(300);
        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{demo.Stdout}\nstderr:\n{demo.Stderr}");
        Assert.Contains("no /coreos.com/network/config yet; wrote one from the demo's options", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("6 of 6 echo requests answered", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("Leaving the nodes' leases in etcd under /coreos.com/network/subnets", demo.Stdout, StringComparison.Ordinal);

        // etcdctl get --prefix /coreos.com/network/subnets: key, value, key, value, …
        string[] lines = (await etcd.CtlAsync("get", "--prefix", "/coreos.com/network/subnets")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        for (int i = 0; i < lines.Length; i += 2)
        {
            Assert.Matches(@"^/coreos\.com/network/subnets/198\.19\.\d+\.0-24$", lines[i]);
            Assert.Matches("""^\{"PublicIP":"198\.18\.1\.[123]","PublicIPv6":null,"BackendType":"host-gw"\}$""", lines[i + 1]);
        }
    }

    [Fact]
    public async Task Demo_with_an_existing_config_under_its_prefix_uses_it_and_says_so()
    {
        Privileged.Require();
        Privileged.RequireEtcd();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using EtcdServer etcd = await EtcdServer.StartAsync(cancellationToken: ct);
        await etcd.PutAsync("/ovl-demo/network/config", """{"Network":"198.19.128.0/17","SubnetLen":25,"Backend":{"Type":"host-gw"}}""");

        using var demo = new RunningProcess(SampleAgent.DotnetHost,
            [SampleAgent.Dll, "demo", "--backend", "host-gw", "--nodes", "2", "--etcd-endpoints", etcd.Endpoint, "--etcd-prefix", "/ovl-demo/network"]);
        int exit = await demo.WaitAsync(300);
        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{demo.Stdout}\nstderr:\n{demo.Stderr}");
        Assert.Contains("/ovl-demo/network/config exists and wins over the demo's options", demo.Stdout, StringComparison.Ordinal);
        string[] keys = await etcd.KeysAsync("/ovl-demo/network/subnets");
        Assert.Equal(2, keys.Length);
        Assert.All(keys, k => Assert.Matches(@"^/ovl-demo/network/subnets/198\.19\.(12[89]|1[3-9]\d|2[0-4]\d|25[0-5])\.(0|128)-25$", k));
        Assert.Empty(await etcd.KeysAsync("/coreos.com/network"));
    }

}
