using System.Net;
using System.Net.Sockets;

namespace Overlay.Subnets.Tests;

public sealed class SubnetEnvFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ovl-subnetenv-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Ipv4_content_is_flannels_exactly()
    {
        var env = new SubnetEnv { Network = IPNetwork.Parse("10.5.0.0/16"), Subnet = IPNetwork.Parse("10.5.52.0/24"), Mtu = 1450 };
        Assert.Equal("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.52.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n", SubnetEnvFile.Format(env));
    }

    [Fact]
    public void Dual_stack_content_is_flannels_exactly()
    {
        var env = new SubnetEnv
        {
            Network = IPNetwork.Parse("10.5.0.0/16"),
            Subnet = IPNetwork.Parse("10.5.52.0/24"),
            IPv6Network = IPNetwork.Parse("2001:cafe:42::/56"),
            IPv6Subnet = IPNetwork.Parse("2001:cafe:42::/64"),
            Mtu = 1450,
            IPMasq = true,
        };
        Assert.Equal(
            "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.52.1/24\nFLANNEL_IPV6_NETWORK=2001:cafe:42::/56\nFLANNEL_IPV6_SUBNET=2001:cafe:42::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
            SubnetEnvFile.Format(env));
    }

    [Fact]
    public void Ipv6_only_content_has_no_ipv4_lines()
    {
        var env = new SubnetEnv { IPv6Network = IPNetwork.Parse("fc00::/48"), IPv6Subnet = IPNetwork.Parse("fc00:1::/64"), Mtu = 1430 };
        Assert.Equal("FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00:1::1/64\nFLANNEL_MTU=1430\nFLANNEL_IPMASQ=false\n", SubnetEnvFile.Format(env));
    }

    [Fact]
    public async Task Write_creates_directories_and_a_0644_file_and_replaces_atomically()
    {
        string path = Path.Combine(_dir, "run", "flannel", "subnet.env");
        var env = new SubnetEnv { Network = IPNetwork.Parse("10.5.0.0/16"), Subnet = IPNetwork.Parse("10.5.52.0/24"), Mtu = 1450 };
        await SubnetEnvFile.WriteAsync(path, env, Ct);
        Assert.Equal(SubnetEnvFile.Format(env), await File.ReadAllTextAsync(path, Ct));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.True(Directory.Exists(Path.GetDirectoryName(path))); // created 0755 (less the umask, as Go's MkdirAll)

        // Replace while a reader holds the old file open: the reader keeps the old content (a rename, not a rewrite).
        await using FileStream before = File.OpenRead(path);
        await SubnetEnvFile.WriteAsync(path, env with { Mtu = 1400 }, Ct);
        using (var reader = new StreamReader(before))
        {
            Assert.Contains("FLANNEL_MTU=1450", await reader.ReadToEndAsync(Ct));
        }

        Assert.Contains("FLANNEL_MTU=1400", await File.ReadAllTextAsync(path, Ct));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left
    }

    [Fact]
    public async Task Written_file_reads_back_as_the_previous_subnets()
    {
        string path = Path.Combine(_dir, "subnet.env");
        await SubnetEnvFile.WriteAsync(path, new SubnetEnv
        {
            Network = IPNetwork.Parse("10.5.0.0/16"),
            Subnet = IPNetwork.Parse("10.5.52.0/24"),
            IPv6Network = IPNetwork.Parse("fc00::/48"),
            IPv6Subnet = IPNetwork.Parse("fc00:0:0:7::/64"),
            Mtu = 1450,
        }, Ct);
        var (subnet, ipv6Subnet) = SubnetEnvFile.ReadPreviousSubnets(path);
        Assert.Equal(IPNetwork.Parse("10.5.52.0/24"), subnet);
        Assert.Equal(IPNetwork.Parse("fc00:0:0:7::/64"), ipv6Subnet);
    }

    [Fact]
    public void Multi_value_reader_keeps_valid_networks_in_order()
    {
        // spec §7.8 (main_test.go)
        Assert.Equal([IPNetwork.Parse("10.244.1.0/24"), IPNetwork.Parse("10.244.2.0/24")],
            SubnetEnvFile.ParseNetworks("10.244.1.0/24,not-a-cidr,10.244.2.0/24", AddressFamily.InterNetwork));
        Assert.Equal([IPNetwork.Parse("fd00::/64"), IPNetwork.Parse("fd01::/64")],
            SubnetEnvFile.ParseNetworks("fd00::/64,not-a-cidr,fd01::/64", AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void Single_value_reader_ignores_invalid_or_ambiguous_values()
    {
        string path = Path.Combine(_dir, "subnet.env");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, "FLANNEL_SUBNET=not-a-cidr\nFLANNEL_IPV6_SUBNET=not-a-cidr\n");
        Assert.Equal((null, null), SubnetEnvFile.ReadPreviousSubnets(path));
        File.WriteAllText(path, "FLANNEL_SUBNET=10.244.1.1/24,10.244.2.1/24\nFLANNEL_IPV6_SUBNET=fd00::1/64\n");
        Assert.Equal((null, IPNetwork.Parse("fd00::/64")), SubnetEnvFile.ReadPreviousSubnets(path));
        Assert.Equal((null, null), SubnetEnvFile.ReadPreviousSubnets(Path.Combine(_dir, "missing.env")));
    }

    [Fact]
    public void Dotenv_syntax_is_understood()
    {
        var v = SubnetEnvFile.ParseVariables("# comment\nexport FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=\"10.5.52.1/24\"\nFLANNEL_MTU: 1450 # trailing\r\nFLANNEL_IPMASQ='true'\nbroken line\n");
        Assert.Equal("10.5.0.0/16", v["FLANNEL_NETWORK"]);
        Assert.Equal("10.5.52.1/24", v["FLANNEL_SUBNET"]);
        Assert.Equal("1450", v["FLANNEL_MTU"]);
        Assert.Equal("true", v["FLANNEL_IPMASQ"]);
        Assert.Equal(4, v.Count);
    }

    [Fact]
    public async Task Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SubnetEnvFile.Format(new SubnetEnv { Mtu = -1 }));
        await Assert.ThrowsAsync<ArgumentException>(() => SubnetEnvFile.WriteAsync("", new SubnetEnv(), Ct));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
