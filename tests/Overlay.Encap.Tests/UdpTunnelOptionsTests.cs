using System.Net;

namespace Overlay.Encap.Tests;

public sealed class UdpTunnelOptionsTests
{
    [Fact]
    public void Defaults_follow_flannel_and_enable_every_offload()
    {
        var o = new UdpTunnelOptions();
        Assert.Equal(new IPEndPoint(IPAddress.Any, 8285), o.LocalEndpoint);
        Assert.True(o.CheckSenderAddress);
        Assert.True(o.UdpSegmentationOffload && o.UdpReceiveOffload && o.CoalesceTcp);
        Assert.Equal(32, o.BatchSize);
        Assert.Null(o.LocalOverlayAddress);
        Assert.Equal(TimeSpan.FromMicroseconds(50), o.BusyPoll);
        o.Validate();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void Busy_poll_outside_zero_to_ten_milliseconds_is_rejected_by_name(int microseconds)
    {
        var o = new UdpTunnelOptions { BusyPoll = TimeSpan.FromMicroseconds(microseconds) };
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(o.Validate);
        Assert.Equal(nameof(UdpTunnelOptions.BusyPoll), e.ParamName);
        new UdpTunnelOptions { BusyPoll = TimeSpan.Zero }.Validate();
        new UdpTunnelOptions { BusyPoll = TimeSpan.FromMilliseconds(10) }.Validate();
    }

    [Theory]
    [InlineData(19, 32)]
    [InlineData(65536, 32)]
    [InlineData(1500, 0)]
    [InlineData(1500, 1025)]
    public void Out_of_range_settings_are_rejected(int maxPacketSize, int batchSize)
    {
        var o = new UdpTunnelOptions { MaxPacketSize = maxPacketSize, BatchSize = batchSize };
        Assert.Throws<ArgumentOutOfRangeException>(o.Validate);
    }

    [Fact]
    public void Ipv6_endpoint_is_rejected()
    {
        var o = new UdpTunnelOptions { LocalEndpoint = new IPEndPoint(IPAddress.IPv6Any, 8285) };
        Assert.Throws<ArgumentException>(o.Validate);
    }

    [Fact]
    public void Exception_carries_errno_and_transience()
    {
        var e = new EncapException("TUNSETIFF ovl0", 1);
        Assert.Equal(1, e.Errno);
        Assert.Equal("TUNSETIFF ovl0", e.Operation);
        Assert.False(e.IsTransient);
        Assert.Contains("errno 1", e.Message, StringComparison.Ordinal);
        Assert.True(new EncapException("recvmmsg", 11).IsTransient);
    }

    [Fact]
    public void Tun_name_longer_than_15_bytes_is_rejected_before_any_system_call()
    {
        Assert.Throws<ArgumentException>(() => TunDevice.Create(new TunDeviceOptions { Name = "sixteen-chars-ab" }));
    }
}
