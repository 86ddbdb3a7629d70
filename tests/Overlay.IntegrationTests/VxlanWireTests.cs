using System.Diagnostics;
using Overlay.Lab;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>What the agent's devices put on the wire, decoded by tshark on the underlay of a lab node.</summary>
[Trait("Category", Privileged.Category)]
public sealed class VxlanWireTests : IAsyncLifetime
{
    private VxlanLab? _lab;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("{\"Type\":\"vxlan\"}", 1, 8472, false)]
    [InlineData("{\"Type\":\"vxlan\",\"VNI\":42,\"Port\":4790,\"GBP\":true}", 42, 4790, true)]
    public async Task The_underlay_carries_VXLAN_with_the_configured_VNI_and_port_and_the_pods_inside(string backend, int vni, int port, bool gbp)
    {
        Privileged.Require();
        Assert.SkipUnless(File.Exists("/usr/bin/tshark"), "tshark is not installed");
        _lab = await VxlanLab.StartAsync(true, false, backend, new LabOptions { Nodes = 2, IPv6 = false });
        LabNode a = _lab.Agents[0].Node, b = _lab.Agents[1].Node;
        Assert.True(await a.PingUntilAsync(b.PodAddress!, a.PodAddress, cancellationToken: Ct) is not null);

        var capture = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in (string[])["netns", "exec", b.Namespace, "tshark", "-i", "eth0", "-n", "-l", "-c", "4", "-a", "duration:60",
            "-f", $"udp port {port}", "-d", $"udp.port=={port},vxlan", "-T", "fields", "-E", "separator=|",
            "-e", "vxlan.vni", "-e", "udp.dstport", "-e", "ip.src", "-e", "ip.dst", "-e", "vxlan.flag_g", "-e", "vxlan.gbp"])
        {
            capture.ArgumentList.Add(arg);
        }

        using Process tshark = Process.Start(capture)!;
        try
        {
            Task<string> output = tshark.StandardOutput.ReadToEndAsync(Ct);
            Task<string> errors = tshark.StandardError.ReadToEndAsync(Ct);

            // Ping (with a firewall mark: the kernel puts skb->mark into the GBP policy id) until tshark has its packets.
            while (!tshark.HasExited)
            {
                await a.ExecAsync(["ping", "-c", "1", "-W", "1", "-n", "-q", "-m", "16", "-I", a.PodAddress!.ToString(), b.PodAddress!.ToString()], Ct);
            }

            string text = await output;
            string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(lines.Length == 4, $"tshark printed: {text} {await errors}");
            foreach (string line in lines)
            {
                string[] f = line.Split('|');
                Assert.Equal(vni.ToString(System.Globalization.CultureInfo.InvariantCulture), f[0]);
                Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), f[1]);
                string[] sources = f[2].Split(','), targets = f[3].Split(',');
                Assert.Equal(2, sources.Length); // outer and inner header
                Assert.Contains(sources[0], new[] { a.Underlay.ToString(), b.Underlay.ToString() });
                Assert.Contains(sources[1], new[] { a.PodAddress!.ToString(), b.PodAddress!.ToString() });
                Assert.Contains(targets[1], new[] { a.PodAddress!.ToString(), b.PodAddress!.ToString() });
                bool gFlag = f[4] is "1" or "True" or "true";
                bool marked = sources[0] == a.Underlay.ToString(); // the requests carry firewall mark 16; the replies none
                if (gbp && marked)
                {
                    Assert.True(gFlag, $"GBP flag not set on a marked packet: {line}");
                    Assert.Equal("16", f[5]); // the mark as group policy id
                }
                else
                {
                    // Without GBP the flag is never set; with GBP the kernel sets it only when there is a policy id (mark) to carry.
                    Assert.False(gFlag, $"GBP flag set: {line}");
                }
            }

            Assert.Contains(lines, l => l.Split('|')[2].StartsWith(a.Underlay + ",", StringComparison.Ordinal));
        }
        finally
        {
            if (!tshark.HasExited)
            {
                tshark.Kill(entireProcessTree: true);
            }
        }
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
