namespace Overlay.Vici.Tests;

public sealed class ViciMessageTests
{
    [Fact]
    public void Entries_keep_their_order_and_typed_accessors_find_the_first_of_a_kind()
    {
        var message = new ViciMessage()
            .Add("a", "1")
            .AddList("a", "x", "y")
            .AddSection("a", s => s.Add("b", "2"))
            .Add("a", "3");
        Assert.Equal([ViciEntryKind.KeyValue, ViciEntryKind.List, ViciEntryKind.Section, ViciEntryKind.KeyValue], message.Entries.Select(e => e.Kind));
        Assert.Equal("1", message.GetString("a"));
        Assert.Equal(["x", "y"], message.GetList("a"));
        Assert.Equal("2", message.GetSection("a")!.GetString("b"));
        Assert.Null(message.GetString("A")); // case-sensitive, as charon
        Assert.Null(message.GetSection("b"));
    }

    [Fact]
    public void Limits_of_the_protocol_are_argument_errors_naming_the_input()
    {
        var message = new ViciMessage();
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => message.Add(new string('k', 256), "v")).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => message.Add("", "v")).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentException>(() => message.Add("k", new string('v', 65536))).ParamName);
        Assert.Equal("items", Assert.Throws<ArgumentException>(() => message.AddList("l", new string('v', 65536))).ParamName);
        Assert.Equal("section", Assert.Throws<ArgumentException>(() => message.AddSection("s", message)).ParamName);
        message.Add(new string('k', 255), new string('v', 65535)); // the limits themselves are fine
        Assert.Equal(1, message.Count);
    }

    [Fact]
    public void ToString_shows_the_structure_but_never_a_value()
    {
        var message = new ViciMessage()
            .Add("type", "ike")
            .Add("data", "canary-secret-5f0a")
            .AddList("owners", "198.18.0.1")
            .AddSection("child", s => s.Add("psk", "canary-secret-5f0a"));
        string text = message.ToString();
        Assert.DoesNotContain("canary", text, StringComparison.Ordinal);
        Assert.DoesNotContain("198.18", text, StringComparison.Ordinal);
        Assert.Equal("{ type (3 bytes), data (18 bytes), owners [1 items], child { psk (18 bytes) } }", text);
        Assert.DoesNotContain("canary", message.Entries[1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_validated_naming_the_option()
    {
        Assert.Contains("SocketPath", Assert.Throws<ArgumentException>(() => new ViciClientOptions { SocketPath = "unix:///run/charon.vici" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("CommandTimeout", Assert.Throws<ArgumentException>(() => new ViciClientOptions { CommandTimeout = TimeSpan.Zero }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("MaxPacketSize", Assert.Throws<ArgumentException>(() => new ViciClientOptions { MaxPacketSize = 10 }.Validate()).Message, StringComparison.Ordinal);
        new ViciClientOptions().Validate();
    }
}
