module faultkit/tests/go

go 1.19
