using System.Net;
using System.Net.Sockets;
using Overlay.Subnets.Etcd.Tests.Support;
using Overlay.Testing;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>The test etcd's ports: claimed across processes, never handed out twice, and a start
/// whose port was taken meanwhile is retried on other ports.</summary>
public sealed class EtcdServerTests : IDisposable
{
    // A private lock file: no other test or process claims ports in it, so what these tests see is theirs.
    private readonly string _locks = Path.Combine(Path.GetTempPath(), "ovl-port-locks-" + Guid.NewGuid().ToString("N") + ".lock");

    public void Dispose() => File.Delete(_locks);

    [Fact]
    public void A_claimed_port_is_locked_in_the_kernel_until_released()
    {
        int port;
        using (PortClaim claim = PortClaim.Take(lockFile: _locks))
        {
            port = claim.Port;
            Assert.Contains(port, LockedBytes(_locks)); // /proc/locks: the kernel's view, what other processes meet
            using PortClaim other = PortClaim.Take(checkBindable: false, lockFile: _locks);
            Assert.NotEqual(port, other.Port);
        }

        Assert.DoesNotContain(port, LockedBytes(_locks));
    }

    /// <summary>The bytes of <paramref name="path"/> this process holds POSIX write locks on, from /proc/locks
    /// (<c>1: POSIX ADVISORY WRITE pid maj:min:inode start end</c>).</summary>
    private static List<long> LockedBytes(string path)
    {
        string inode = new FileInfo(path).Exists ? StatInode(path) : "-";
        var bytes = new List<long>();
        foreach (string line in File.ReadAllLines("/proc/locks"))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 8 && f[1] == "POSIX" && f[3] == "WRITE" && f[4] == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)
                && f[5].EndsWith(":" + inode, StringComparison.Ordinal))
            {
                bytes.Add(long.Parse(f[6], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return bytes;
    }

    private static string StatInode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        string inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return inode;
    }

    [Fact]
    public void Concurrent_claims_get_distinct_ports_below_the_ephemeral_range()
    {
        PortClaim[] claims = new PortClaim[200];
        Parallel.For(0, claims.Length, i => claims[i] = PortClaim.Take(checkBindable: false, lockFile: _locks));
        try
        {
            Assert.Equal(claims.Length, claims.Select(c => c.Port).Distinct().Count());
            int ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            if (ephemeralLow > 12_000)
            {
                Assert.All(claims, c => Assert.InRange(c.Port, 10_000, ephemeralLow - 1));
            }
        }
        finally
        {
            foreach (PortClaim claim in claims)
            {
                claim.Dispose();
            }
        }
    }

    [Fact]
    public void A_port_something_else_listens_on_is_not_bindable_so_not_claimed()
    {
        // An unrelated program, ignorant of the locks, listens on a port of the range. (A shared claim: no test etcd
        // can take the port meanwhile.)
        using (PortClaim claim = PortClaim.Take())
        {
            int port = claim.Port;
            Assert.True(PortClaim.IsBindable(port));
            using var squatter = new TcpListener(IPAddress.Loopback, port);
            squatter.Start();
            Assert.False(PortClaim.IsBindable(port)); // Take skips such a port
            squatter.Stop();
            Assert.True(PortClaim.IsBindable(port));
        }
    }

    [Fact]
    [Trait("Category", "Etcd")]
    public async Task A_port_taken_between_claim_and_etcd_start_is_retried_on_fresh_ports()
    {
        if (EtcdServer.MissingReason is { } reason)
        {
            Assert.SkipWhen(Environment.GetEnvironmentVariable("CI") != "true", reason);
            Assert.Fail(reason);
        }

        // An unrelated program binds the client port in the instant between the claim's trial bind and etcd's bind.
        var squatters = new List<TcpListener>();
        var attempts = new List<(int Client, int Peer)>();
        try
        {
            await using EtcdServer etcd = await EtcdServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken, beforeEachStart: (client, peer) =>
            {
                attempts.Add((client, peer));
                if (attempts.Count == 1)
                {
                    var squatter = new TcpListener(IPAddress.Loopback, client);
                    squatter.Start();
                    squatters.Add(squatter);
                }
            });

            Assert.Equal(2, attempts.Count);
            Assert.NotEqual(attempts[0].Client, etcd.ClientPort);
            Assert.Equal(attempts[1], (etcd.ClientPort, etcd.PeerPort));
            Assert.Equal(string.Empty, await etcd.CtlAsync("get", "/nothing"));
            await etcd.PutAsync("/ovl-port-test", "v");
            Assert.Equal("v", System.Text.Encoding.UTF8.GetString((await etcd.GetAsync("/ovl-port-test"))!.Value.Value));
        }
        finally
        {
            foreach (TcpListener squatter in squatters)
            {
                squatter.Stop();
                squatter.Dispose();
            }
        }
    }
}
