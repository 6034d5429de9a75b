#!/usr/bin/perl
# Mail::DKIM (Debian libmail-dkim-perl) as a peer: verifies every message named in a list file,
# keys from a dkimscan --keys file through a replaced Mail::DKIM::DNS::query (no DNS). Feeds each
# message as CRLF lines, as Mail::DKIM's own dkimverify.pl does. Prints one JSON line of counts.
#   perl bench/peers/mail_dkim_verify.pl keys.zone files.txt
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS;

my ($zone_file, $list_file) = @ARGV;
my %zone;
open(my $zf, '<', $zone_file) or die "cannot read $zone_file: $!";
while (my $line = <$zf>) {
    chomp $line;
    next if $line eq '' || $line =~ /^#/;
    my ($name, $txt) = split / /, $line, 2;
    $name =~ s/\.$//;
    $zone{lc $name} = $txt;
}
close $zf;

{
    no warnings 'redefine';
    # Same contract as the original: TXT records, or an empty list with $@ = NXDOMAIN.
    *Mail::DKIM::DNS::query = sub {
        my ($domain, $type) = @_;
        (my $name = lc $domain) =~ s/\.$//;
        my $txt = $zone{$name};
        if (!defined $txt) { $@ = 'NXDOMAIN'; return; }
        $@ = 'NOERROR';
        my @chunks = ($txt =~ /(.{1,255})/gs);
        return Net::DNS::RR->new(name => $domain, type => 'TXT', txtdata => [@chunks]);
    };
}

open(my $lf, '<', $list_file) or die "cannot read $list_file: $!";
my @paths = grep { $_ ne '' } map { chomp; $_ } <$lf>;
close $lf;

my %counts;
for my $path (@paths) {
    my $dkim = Mail::DKIM::Verifier->new();
    open(my $mf, '<:raw', $path) or die "cannot read $path: $!";
    while (my $line = <$mf>) {
        $line =~ s/\015?\012\z//;
        $dkim->PRINT("$line\015\012");
    }
    close $mf;
    $dkim->CLOSE;
    $counts{$dkim->result // 'none'}++;
}
my $results = join(',', map { "\"$_\":$counts{$_}" } sort keys %counts);
printf "{\"messages\":%d,\"results\":{%s}}\n", scalar(@paths), $results;
